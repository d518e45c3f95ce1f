import http from 'node:http';
import https from 'node:https';
import dns from 'node:dns';
import net, { isIP, type Socket } from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { classifyAddress, normalizeHost } from './address.ts';
import { MediaError } from './errors.ts';

/**
 * The SSRF-safe HTTP client the downloader (and the URL probe) use. Rules, checked on every hop:
 * - http/https only, no credentials in the URL, ports 80/443 unless `host:port` is allow-listed;
 * - the address is checked when the socket connects (our own DNS lookup refuses any answer that is
 *   not a public unicast address, and the connected socket's remote address is checked again), so
 *   DNS rebinding and IP-literal spellings (decimal, hex, octal, ::ffff:) cannot slip through;
 * - redirects are followed by hand, each target re-checked, at most `maxRedirects`;
 * - an allow-list of exact `host:port` entries (e.g. 127.0.0.1:8123 for tests) opts single
 *   endpoints out of the address check — every other address stays blocked, locally too.
 * node:http/https are used on purpose: Node's global fetch ignores agents and custom lookups.
 */

export interface SafeRequestOptions {
  method?: 'GET' | 'HEAD';
  headers?: Record<string, string>;
  /** Exact `host:port` entries that may be reached even though their address is not public. */
  allowHosts: string[];
  maxRedirects?: number;
  /** false: return a redirect response as it is (the egress proxy lets its client follow it, re-checked). */
  followRedirects?: boolean;
  /** Time allowed until the response headers arrive (each hop). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** DNS resolver (default dns.lookup); tests inject one to simulate hostile DNS answers. */
  resolve?: typeof dns.lookup;
}

export interface SafeResponse {
  /** The final URL after redirects. */
  url: string;
  status: number;
  headers: http.IncomingHttpHeaders;
  body: http.IncomingMessage;
  redirects: string[];
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };
const ALLOWED_PORTS = new Set([80, 443]);

function normalizeAllowEntry(entry: string): string {
  const e = entry.trim().toLowerCase();
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(e);
  if (!m) return e;
  try {
    const host = normalizeHost(m[1]!);
    return `${host.includes(':') ? `[${host}]` : host}:${m[2]}`;
  } catch {
    return e;
  }
}

function hostPort(host: string, port: number): string {
  const h = normalizeHost(host);
  return `${h.includes(':') ? `[${h}]` : h}:${port}`;
}

export interface CheckedUrl {
  url: URL;
  host: string;
  port: number;
  /** The URL's host:port is on the allow-list. */
  allowListed: boolean;
}

/** Static checks of one hop (scheme, credentials, port, IP literal). Throws URL_NOT_ALLOWED. */
export function checkUrl(raw: string, allowHosts: string[]): CheckedUrl {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new MediaError('URL_NOT_ALLOWED', 'The source is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new MediaError('URL_NOT_ALLOWED', `Only http and https URLs are allowed, not ${url.protocol}`);
  }
  if (url.username || url.password) throw new MediaError('URL_NOT_ALLOWED', 'URLs with credentials are not allowed');
  const host = normalizeHost(url.hostname);
  const port = url.port ? Number(url.port) : DEFAULT_PORTS[url.protocol]!;
  const allowList = new Set(allowHosts.map(normalizeAllowEntry));
  const allowListed = allowList.has(hostPort(host, port));
  if (!allowListed && !ALLOWED_PORTS.has(port)) {
    throw new MediaError('URL_NOT_ALLOWED', `Port ${port} is not allowed (only 80 and 443)`);
  }
  if (!allowListed && isIP(host)) {
    const c = classifyAddress(host);
    if (c.blocked) throw new MediaError('URL_NOT_ALLOWED', `Address ${c.address} is not allowed (${c.range})`);
  }
  if (!allowListed && (host === 'localhost' || host.endsWith('.localhost'))) {
    throw new MediaError('URL_NOT_ALLOWED', 'localhost is not allowed');
  }
  return { url, host, port, allowListed };
}

/** Is a connection to `address:port` allowed for a hop to `checked`? */
function addressAllowed(checked: CheckedUrl, address: string, allowHosts: string[]): string | undefined {
  if (checked.allowListed) return undefined;
  const allowList = new Set(allowHosts.map(normalizeAllowEntry));
  if (allowList.has(hostPort(address, checked.port))) return undefined;
  const c = classifyAddress(address);
  return c.blocked ? `Address ${c.address} of ${checked.host} is not allowed (${c.range})` : undefined;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

function filteringLookup(
  checked: CheckedUrl,
  allowHosts: string[],
  onBlocked: (reason: string) => void,
  resolve: typeof dns.lookup = dns.lookup,
) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    resolve(hostname, { ...options, all: true }, (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => {
      if (err) return callback(err, '');
      for (const a of addresses) {
        const reason = addressAllowed(checked, a.address, allowHosts);
        if (reason) {
          onBlocked(reason);
          return callback(new MediaError('URL_NOT_ALLOWED', reason) as unknown as NodeJS.ErrnoException, '');
        }
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`No address for ${hostname}`), { code: 'ENOTFOUND' }), '');
      callback(null, first.address, first.family);
    });
  };
}

function oneHop(
  checked: CheckedUrl,
  opts: SafeRequestOptions,
): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    let blocked: string | undefined;
    const onBlocked = (reason: string) => {
      blocked = reason;
    };
    const mod = checked.url.protocol === 'https:' ? https : http;
    const req = mod.request(
      {
        protocol: checked.url.protocol,
        hostname: checked.host,
        port: checked.port,
        path: `${checked.url.pathname}${checked.url.search}`,
        method: opts.method ?? 'GET',
        headers: { 'user-agent': 'Clipforge/1.0 (+downloader)', ...opts.headers },
        agent: false,
        lookup: filteringLookup(checked, opts.allowHosts, onBlocked, opts.resolve) as unknown as typeof dns.lookup,
        servername: isIP(checked.host) ? undefined : checked.host,
        signal: opts.signal,
      },
      (res) => {
        clearTimeout(timer);
        resolve(res);
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new MediaError('DOWNLOAD_TIMEOUT', `No response from ${checked.url.host} in ${opts.timeoutMs} ms`));
    }, opts.timeoutMs ?? 30_000);
    // Second line of defence: whatever the resolver did, check the address we actually reached.
    req.on('socket', (socket: Socket) => {
      const verify = () => {
        const remote = socket.remoteAddress;
        const reason = remote ? addressAllowed(checked, remote, opts.allowHosts) : 'Unknown remote address';
        if (reason) {
          blocked = reason;
          req.destroy(new MediaError('URL_NOT_ALLOWED', reason));
        }
      };
      if (socket.remoteAddress) verify();
      else socket.once('connect', verify);
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (blocked) return reject(new MediaError('URL_NOT_ALLOWED', blocked, { cause: err }));
      if (err instanceof MediaError) return reject(err);
      if (err.name === 'AbortError') {
        return reject(new MediaError('DOWNLOAD_TIMEOUT', 'The download took too long', { cause: err }));
      }
      if (err.code === 'ENOTFOUND') {
        return reject(new MediaError('SOURCE_NOT_FOUND', `Host ${checked.host} does not exist`, { cause: err }));
      }
      reject(err);
    });
    req.end();
  });
}

/**
 * A TCP connection to `host:port` under the same rules as an HTTP hop (port, IP literal, our own
 * DNS lookup refusing non-public answers, the connected address checked again). The egress proxy
 * uses it for CONNECT tunnels, so tools that make their own requests (yt-dlp) stay inside the rules.
 */
export async function connectChecked(host: string, port: number, opts: Pick<SafeRequestOptions, 'allowHosts' | 'timeoutMs' | 'resolve'>): Promise<Socket> {
  const checked = checkUrl(`https://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}/`, opts.allowHosts);
  return new Promise((resolve, reject) => {
    let blocked: string | undefined;
    const socket = net.connect({
      host: checked.host,
      port: checked.port,
      lookup: filteringLookup(checked, opts.allowHosts, (r) => (blocked = r), opts.resolve) as unknown as typeof dns.lookup,
    });
    const timer = setTimeout(() => socket.destroy(new MediaError('DOWNLOAD_TIMEOUT', `No connection to ${host}:${port} in ${opts.timeoutMs ?? 30_000} ms`)), opts.timeoutMs ?? 30_000);
    socket.once('connect', () => {
      clearTimeout(timer);
      const reason = socket.remoteAddress ? addressAllowed(checked, socket.remoteAddress, opts.allowHosts) : 'Unknown remote address';
      if (reason) {
        socket.destroy();
        return reject(new MediaError('URL_NOT_ALLOWED', reason));
      }
      resolve(socket);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (blocked) return reject(new MediaError('URL_NOT_ALLOWED', blocked, { cause: err }));
      if (err instanceof MediaError) return reject(err);
      if (err.code === 'ENOTFOUND') return reject(new MediaError('SOURCE_NOT_FOUND', `Host ${checked.host} does not exist`, { cause: err }));
      reject(err);
    });
  });
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** An HTTP(S) request that follows the SSRF rules above on every hop. The caller consumes `body`. */
export async function safeRequest(url: string, opts: SafeRequestOptions): Promise<SafeResponse> {
  const maxRedirects = opts.maxRedirects ?? 5;
  const redirects: string[] = [];
  let current = url;
  let method = opts.method ?? 'GET';
  for (;;) {
    const checked = checkUrl(current, opts.allowHosts);
    const res = await oneHop(checked, { ...opts, method });
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (!REDIRECTS.has(status) || !location || opts.followRedirects === false) {
      return { url: checked.url.toString(), status, headers: res.headers, body: res, redirects };
    }
    res.resume();
    if (redirects.length >= maxRedirects) {
      throw new MediaError('URL_NOT_ALLOWED', `Too many redirects (more than ${maxRedirects})`);
    }
    current = new URL(location, checked.url).toString();
    redirects.push(current);
    if (status === 303) method = method === 'HEAD' ? 'HEAD' : 'GET';
  }
}

/** Maps an unsuccessful status to the right error: 404/410 (and other 4xx) are permanent, 5xx/429 transient. */
export function statusError(status: number, url: string): Error {
  const host = safeHost(url);
  if (status === 404 || status === 410) return new MediaError('SOURCE_NOT_FOUND', `The source was not found (HTTP ${status} from ${host})`);
  if (status === 401 || status === 403) return new MediaError('SOURCE_NOT_FOUND', `The source is not accessible (HTTP ${status} from ${host})`);
  if (status === 429 || status >= 500) return new Error(`Temporary failure fetching the source (HTTP ${status} from ${host})`);
  return new MediaError('SOURCE_NOT_FOUND', `The source could not be fetched (HTTP ${status} from ${host})`);
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the source';
  }
}

const HTML_TYPES = /^(text\/html|application\/xhtml\+xml)/i;

/** True when the content type or the first bytes say "web page", not media. */
export function looksLikeHtml(contentType: string | undefined, firstBytes?: Buffer): boolean {
  if (contentType && HTML_TYPES.test(contentType.trim())) return true;
  if (!firstBytes) return false;
  const head = firstBytes.subarray(0, 512).toString('utf8').replace(/^\uFEFF/, '').trimStart().toLowerCase();
  return head.startsWith('<!doctype html') || head.startsWith('<html') || head.startsWith('<?xml') || head.startsWith('<head');
}

/** Counts bytes, refuses more than `maxBytes`, and sniffs the first chunk for HTML. */
export class GuardedStream extends Transform {
  bytes = 0;
  private readonly maxBytes: number;
  private readonly contentType: string | undefined;
  constructor(maxBytes: number, contentType: string | undefined) {
    super();
    this.maxBytes = maxBytes;
    this.contentType = contentType;
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.bytes === 0 && looksLikeHtml(this.contentType, chunk)) {
      cb(new MediaError('NOT_A_VIDEO', 'The URL points to a web page, not a video file'));
      return;
    }
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      cb(new MediaError('SOURCE_TOO_LARGE', `The source is larger than ${this.maxBytes} bytes`));
      return;
    }
    cb(null, chunk);
  }
}

export interface DownloadOptions {
  bucket: string;
  key: string;
  maxBytes: number;
  allowHosts: string[];
  /** Total time allowed for the whole download (connect, redirects, body, upload). */
  timeoutMs: number;
  /** Defaults to the app's S3 client (lib/aws/clients.ts). */
  client?: S3Client;
  /** Multipart part size; memory use is about partSize × queueSize. */
  partSize?: number;
  queueSize?: number;
}

/**
 * Streams a URL into S3 with a multipart upload; never holds the whole file in memory.
 * 404 → SOURCE_NOT_FOUND, HTML → NOT_A_VIDEO, over maxBytes → SOURCE_TOO_LARGE, slower than
 * timeoutMs → DOWNLOAD_TIMEOUT, empty → EMPTY_SOURCE; network trouble and 5xx are retryable Errors.
 */
export async function downloadToS3(url: string, opts: DownloadOptions): Promise<{ bytes: number; contentType?: string }> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, opts.timeoutMs);
  const client = opts.client ?? (await import('../aws/clients.ts')).s3();
  let upload: Upload | undefined;
  try {
    const res = await safeRequest(url, {
      method: 'GET',
      allowHosts: opts.allowHosts,
      timeoutMs: opts.timeoutMs,
      signal: controller.signal,
    });
    if (res.status < 200 || res.status >= 300) {
      res.body.resume();
      throw statusError(res.status, res.url);
    }
    const contentType = res.headers['content-type']?.split(';')[0]?.trim() || undefined;
    if (looksLikeHtml(contentType)) {
      res.body.destroy();
      throw new MediaError('NOT_A_VIDEO', 'The URL points to a web page, not a video file');
    }
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > opts.maxBytes) {
      res.body.destroy();
      throw new MediaError('SOURCE_TOO_LARGE', `The source is ${declared} bytes, more than the limit of ${opts.maxBytes}`);
    }
    if (declared === 0) {
      res.body.destroy();
      throw new MediaError('EMPTY_SOURCE', 'The source is empty');
    }
    const guard = new GuardedStream(opts.maxBytes, contentType);
    upload = new Upload({
      client,
      params: { Bucket: opts.bucket, Key: opts.key, Body: guard, ContentType: contentType ?? 'application/octet-stream' },
      partSize: opts.partSize ?? 8 * 1024 * 1024,
      queueSize: opts.queueSize ?? 2,
      leavePartsOnError: false,
    });
    const uploaded = upload.done();
    uploaded.catch(() => undefined);
    await pipeline(res.body, guard);
    if (guard.bytes === 0) {
      await upload.abort().catch(() => undefined);
      throw new MediaError('EMPTY_SOURCE', 'The source is empty');
    }
    await uploaded;
    return { bytes: guard.bytes, ...(contentType ? { contentType } : {}) };
  } catch (err) {
    if (upload) await upload.abort().catch(() => undefined);
    if (err instanceof MediaError) throw err;
    if (timedOut) throw new MediaError('DOWNLOAD_TIMEOUT', `The download took longer than ${opts.timeoutMs} ms`, { cause: err });
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
