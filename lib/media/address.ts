import { isIP } from 'node:net';

/**
 * Address classification for the SSRF-safe downloader. Pure functions: every check the downloader
 * makes at connect time goes through `classifyAddress`, so the unit tests cover the real rules.
 *
 * Only globally routable unicast addresses are allowed: loopback, private, link-local (incl. the
 * 169.254.169.254 metadata service), CGNAT, multicast, broadcast, documentation/benchmark/reserved
 * ranges and their IPv6 equivalents (incl. IPv4-mapped ::ffff:a.b.c.d, NAT64, 6to4, Teredo) are not.
 */

export type AddressRange =
  | 'public'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'carrier-grade-nat'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'unique-local'
  | 'site-local'
  | 'tunnel'
  | 'invalid';

export interface AddressClass {
  address: string;
  range: AddressRange;
  blocked: boolean;
}

/**
 * Canonical form of a URL host the way the WHATWG URL parser (and therefore every HTTP client)
 * reads it: "2130706433", "0x7f000001" and "0177.0.0.1" all become "127.0.0.1"; IPv6 loses its
 * brackets and is compressed ("::ffff:127.0.0.1" → "::ffff:7f00:1"). Throws on an invalid host.
 */
export function normalizeHost(host: string): string {
  let h = host.trim();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  const zone = h.indexOf('%');
  if (zone >= 0 && h.includes(':')) h = h.slice(0, zone);
  const forUrl = h.includes(':') ? `[${h}]` : h;
  const hostname = new URL(`http://${forUrl}/`).hostname;
  return hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
}

function ipv4ToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  return (((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!) >>> 0;
}

function inV4(ip: number, base: string, bits: number): boolean {
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return ((ip & mask) >>> 0) === ((ipv4ToInt(base) & mask) >>> 0);
}

const V4_RANGES: [string, number, AddressRange][] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade-nat'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'reserved'],
  ['192.88.99.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'],
  ['198.51.100.0', 24, 'reserved'],
  ['203.0.113.0', 24, 'reserved'],
  ['224.0.0.0', 4, 'multicast'],
  ['255.255.255.255', 32, 'broadcast'],
  ['240.0.0.0', 4, 'reserved'],
];

function classifyV4(ip: string): AddressRange {
  const n = ipv4ToInt(ip);
  for (const [base, bits, range] of V4_RANGES) if (inV4(n, base, bits)) return range;
  return 'public';
}

/** Expands an IPv6 address (zone id stripped, dotted IPv4 tail allowed) into 8 16-bit groups. */
function ipv6Groups(ip: string): number[] {
  let s = ip;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (tail) {
    const n = ipv4ToInt(tail[1]!);
    s = s.slice(0, -tail[1]!.length) + `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head = '', rest] = s.split('::');
  const left = head ? head.split(':') : [];
  const right = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const fill = rest !== undefined ? 8 - left.length - right.length : 0;
  return [...left, ...Array<string>(fill).fill('0'), ...right].map((g) => parseInt(g, 16));
}

function v4FromGroups(hi: number, lo: number): string {
  return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
}

function classifyV6(ip: string): AddressRange {
  const g = ipv6Groups(ip);
  if (g.length !== 8 || g.some((x) => Number.isNaN(x))) return 'invalid';
  const [g0, g1, g2, g3, g4, g5, g6, g7] = g as [number, number, number, number, number, number, number, number];
  const zeroPrefix = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  if (zeroPrefix && g5 === 0 && g6 === 0 && g7 === 0) return 'unspecified';
  if (zeroPrefix && g5 === 0 && g6 === 0 && g7 === 1) return 'loopback';
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d): judged by the embedded address.
  if (zeroPrefix && (g5 === 0xffff || g5 === 0)) return embedded(v4FromGroups(g6, g7));
  // IPv4-translated ::ffff:0:a.b.c.d and NAT64 64:ff9b::/96.
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0xffff && g5 === 0) return embedded(v4FromGroups(g6, g7));
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return embedded(v4FromGroups(g6, g7));
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 1) return 'reserved';
  if (g0 === 0x2002) return embedded(v4FromGroups(g1, g2)); // 6to4
  if (g0 === 0x2001 && g1 === 0) return 'tunnel'; // Teredo can reach anything
  if (g0 === 0x2001 && g1 === 0xdb8) return 'reserved'; // documentation
  if (g0 === 0x2001 && g1 >= 0x10 && g1 <= 0x2f) return 'reserved'; // ORCHID
  if ((g0 & 0xff00) === 0xff00) return 'multicast';
  if ((g0 & 0xffc0) === 0xfe80) return 'link-local';
  if ((g0 & 0xffc0) === 0xfec0) return 'site-local';
  if ((g0 & 0xfe00) === 0xfc00) return 'unique-local';
  if ((g0 & 0xe000) === 0x2000) return 'public'; // 2000::/3, global unicast
  return 'reserved';
}

function embedded(v4: string): AddressRange {
  const range = classifyV4(v4);
  return range;
}

/**
 * Classifies an IP address (any spelling a URL host may use). Hostnames that are not IP literals
 * come back as 'invalid' and blocked: resolve them first, then classify each address.
 */
export function classifyAddress(input: string): AddressClass {
  let address: string;
  try {
    address = normalizeHost(input);
  } catch {
    return { address: input, range: 'invalid', blocked: true };
  }
  const family = isIP(address);
  const range: AddressRange = family === 4 ? classifyV4(address) : family === 6 ? classifyV6(address) : 'invalid';
  return { address, range, blocked: range !== 'public' };
}

export function isBlockedAddress(input: string): boolean {
  return classifyAddress(input).blocked;
}
