import { describe, expect, it } from '@jest/globals';
import { classifyAddress, isBlockedAddress, normalizeHost } from '../../../lib/media/address.ts';
import { checkUrl } from '../../../lib/media/download.ts';
import { MediaError } from '../../../lib/media/errors.ts';

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.254', 'private'],
    ['192.168.1.20', 'private'],
    ['169.254.169.254', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['100.64.0.1', 'carrier-grade-nat'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['ff02::1', 'multicast'],
    ['fec0::1', 'site-local'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:10.0.0.1', 'private'],
    ['::127.0.0.1', 'loopback'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:c0a8:101::1', 'private'],
    ['2001:0::1', 'tunnel'],
    ['2001:db8::1', 'reserved'],
    ['[::1]', 'loopback'],
  ])('%s is %s and blocked', (address, range) => {
    const c = classifyAddress(address);
    expect(c.range).toBe(range);
    expect(c.blocked).toBe(true);
  });

  it.each([
    ['2130706433', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['0x7f.0.0.1', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['0', '0.0.0.0'],
    ['3232235777', '192.168.1.1'],
    ['0xa9fea9fe', '169.254.169.254'],
  ])('decodes the alternative spelling %s as %s and blocks it', (spelling, canonical) => {
    expect(normalizeHost(spelling)).toBe(canonical);
    expect(isBlockedAddress(spelling)).toBe(true);
  });

  it.each(['93.184.216.34', '8.8.8.8', '1.1.1.1', '172.32.0.1', '192.169.0.1', '2606:4700:4700::1111', '2a00:1450:4001:82a::200e', '::ffff:8.8.8.8'])(
    'allows the public address %s',
    (address) => {
      const c = classifyAddress(address);
      expect(c).toMatchObject({ range: 'public', blocked: false });
    },
  );

  it('treats hostnames and garbage as not classifiable (blocked)', () => {
    expect(classifyAddress('example.com')).toMatchObject({ range: 'invalid', blocked: true });
    expect(classifyAddress('http://[')).toMatchObject({ blocked: true });
  });
});

describe('checkUrl (static rules for one hop)', () => {
  const refused = (url: string, allow: string[] = []) => {
    try {
      checkUrl(url, allow);
    } catch (err) {
      expect(err).toBeInstanceOf(MediaError);
      return (err as MediaError).code;
    }
    return 'accepted';
  };

  it.each([
    'ftp://example.com/video.mp4',
    'file:///etc/passwd',
    'gopher://example.com/',
    'http://user:secret@example.com/video.mp4',
    'http://example.com:8080/video.mp4',
    'https://example.com:22/',
    'http://127.0.0.1/video.mp4',
    'http://2130706433/',
    'http://0x7f000001/',
    'http://0177.0.0.1/',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://169.254.169.254/latest/meta-data/',
    'http://10.0.0.8/',
    'http://localhost/',
    'http://api.localhost/',
    'http://0.0.0.0/',
    'http://[fe80::1]/',
    'not a url',
  ])('refuses %s', (url) => {
    expect(refused(url)).toBe('URL_NOT_ALLOWED');
  });

  it('accepts public hosts on 80/443', () => {
    expect(refused('http://example.com/video.mp4')).toBe('accepted');
    expect(refused('https://cdn.example.com/a/b.mp4?sig=1')).toBe('accepted');
    expect(refused('https://93.184.216.34/v.mp4')).toBe('accepted');
  });

  it('lets exact host:port allow-list entries through, nothing else', () => {
    const allow = ['127.0.0.1:8123', 'LOCALHOST:9000', '[::1]:7000'];
    expect(checkUrl('http://127.0.0.1:8123/v.mp4', allow).allowListed).toBe(true);
    expect(checkUrl('http://localhost:9000/v.mp4', allow).allowListed).toBe(true);
    expect(checkUrl('http://[::1]:7000/v.mp4', allow).allowListed).toBe(true);
    // Same spelling tricks resolve to the same canonical entry.
    expect(checkUrl('http://2130706433:8123/v.mp4', allow).allowListed).toBe(true);
    expect(refused('http://127.0.0.1:8124/v.mp4', allow)).toBe('URL_NOT_ALLOWED');
    expect(refused('http://127.0.0.1/v.mp4', allow)).toBe('URL_NOT_ALLOWED');
    expect(refused('http://127.0.0.2:8123/v.mp4', allow)).toBe('URL_NOT_ALLOWED');
  });
});
