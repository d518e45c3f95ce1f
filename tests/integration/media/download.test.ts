import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type dns from 'node:dns';
import { GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { startFauxqs } from 'fauxqs';
import { downloadToS3, safeRequest } from '../../../lib/media/download.ts';
import { probeUrl } from '../../../lib/media/remote.ts';
import { closeServers, codeOf, listen, sampleVideo, tempDir } from './media-fixtures.ts';

/**
 * The downloader against real sockets: a local "internet" server on 127.0.0.1:<port> (allow-listed
 * as exactly that host:port), a second local server that must never be reached (not allow-listed),
 * and fauxqs in-process as S3.
 */
const BUCKET = 'media-test';
const BIG = 12 * 1024 * 1024; // over fauxqs' ~11 MiB single-PUT limit: only multipart works
let fauxqs: Awaited<ReturnType<typeof startFauxqs>>;
let s3: S3Client;
let site: http.Server;
let siteUrl: string;
let allow: string[];
let forbidden: http.Server;
let forbiddenPort: number;
let forbiddenHits = 0;
let bigPayload: Buffer;
let videoPath: string;
let dir: string;



function sha(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

async function getObject(key: string): Promise<Buffer> {
  const r = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await r.Body!.transformToByteArray());
}

async function exists(key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  dir = tempDir('clipforge-download-test-');
  videoPath = (await sampleVideo({ seconds: 75, width: 640, height: 360, withSubtitleTrack: true })).outPath;
  bigPayload = randomBytes(BIG);
  fauxqs = await startFauxqs({ port: 0, logger: false });
  fauxqs.createBucket(BUCKET);
  s3 = new S3Client({
    region: 'us-east-1',
    endpoint: fauxqs.address,
    forcePathStyle: true,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });

  forbidden = http.createServer((_req, res) => {
    forbiddenHits += 1;
    res.writeHead(200, { 'content-type': 'video/mp4' }).end('secret');
  });
  forbiddenPort = await listen(forbidden);

  site = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const p = url.pathname;
    const redirect = (to: string, status = 302) => res.writeHead(status, { location: to }).end();
    if (p === '/video.mp4') {
      const size = fs.statSync(videoPath).size;
      const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
      if (range) {
        const start = Number(range[1]);
        const end = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
        res.writeHead(206, { 'content-type': 'video/mp4', 'content-length': String(end - start + 1), 'content-range': `bytes ${start}-${end}/${size}` });
        fs.createReadStream(videoPath, { start, end }).pipe(res);
      } else {
        res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(size) });
        fs.createReadStream(videoPath).pipe(res);
      }
      return;
    }
    if (p === '/big.bin') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(BIG) });
      res.end(bigPayload);
      return;
    }
    if (p === '/chunked.bin') {
      // No Content-Length: the cap must be enforced while streaming.
      res.writeHead(200, { 'content-type': 'video/mp4' });
      let sent = 0;
      const push = () => {
        if (sent >= BIG) return res.end();
        sent += 256 * 1024;
        if (res.write(bigPayload.subarray(sent - 256 * 1024, sent))) setImmediate(push);
        else res.once('drain', push);
      };
      push();
      res.on('close', () => {
        sent = BIG;
      });
      return;
    }
    if (p === '/page') return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>x</title>');
    if (p === '/lying.mp4') return void res.writeHead(200, { 'content-type': 'video/mp4' }).end('<!DOCTYPE html><html><body>Sign in to watch</body></html>');
    if (p === '/empty.mp4') return void res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': '0' }).end();
    if (p === '/gone') return void res.writeHead(410).end();
    if (p === '/private') return void res.writeHead(403).end();
    if (p === '/flaky') return void res.writeHead(503).end();
    if (p === '/slow') {
      res.writeHead(200, { 'content-type': 'video/mp4' });
      res.write(Buffer.alloc(1024));
      return; // never ends
    }
    if (p === '/to-video') return redirect('/video.mp4', 301);
    if (p === '/to-forbidden') return redirect(`http://127.0.0.1:${forbiddenPort}/video.mp4`);
    if (p === '/to-forbidden-decimal') return redirect(`http://2130706433:${forbiddenPort}/video.mp4`);
    if (p === '/to-metadata') return redirect('http://169.254.169.254/latest/meta-data/iam/security-credentials/');
    if (p === '/to-mapped') return redirect(`http://[::ffff:127.0.0.1]:${forbiddenPort}/`, 307);
    if (p === '/to-file') return redirect('file:///etc/passwd');
    if (p === '/loop') return redirect('/loop');
    res.writeHead(404, { 'content-type': 'text/plain' }).end('nope');
  });
  const port = await listen(site);
  siteUrl = `http://127.0.0.1:${port}`;
  allow = [`127.0.0.1:${port}`];
}, 600_000);

afterAll(async () => {
  await closeServers(site, forbidden);
  await fauxqs?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const dl = (p: string, extra: Partial<Parameters<typeof downloadToS3>[1]> = {}) =>
  downloadToS3(`${siteUrl}${p}`, { bucket: BUCKET, key: `src${p}`, maxBytes: 64 * 1024 * 1024, allowHosts: allow, timeoutMs: 20_000, client: s3, ...extra });

describe('downloadToS3', () => {
  it('streams an allow-listed source into S3 byte for byte', async () => {
    const result = await dl('/video.mp4');
    const original = fs.readFileSync(videoPath);
    expect(result).toEqual({ bytes: original.length, contentType: 'video/mp4' });
    expect(sha(await getObject('src/video.mp4'))).toBe(sha(original));
  });

  it('uses a multipart upload for a 12 MiB source (fauxqs refuses such single PUTs)', async () => {
    const result = await dl('/big.bin', { partSize: 5 * 1024 * 1024 });
    expect(result.bytes).toBe(BIG);
    expect(sha(await getObject('src/big.bin'))).toBe(sha(bigPayload));
  });

  it('follows a redirect that stays on the allow-list', async () => {
    expect((await dl('/to-video', { key: 'src/redirected.mp4' })).bytes).toBe(fs.statSync(videoPath).size);
  });

  it.each([
    ['/missing', 'SOURCE_NOT_FOUND'],
    ['/gone', 'SOURCE_NOT_FOUND'],
    ['/private', 'SOURCE_NOT_FOUND'],
    ['/page', 'NOT_A_VIDEO'],
    ['/lying.mp4', 'NOT_A_VIDEO'],
    ['/empty.mp4', 'EMPTY_SOURCE'],
    ['/to-metadata', 'URL_NOT_ALLOWED'],
    ['/to-file', 'URL_NOT_ALLOWED'],
    ['/loop', 'URL_NOT_ALLOWED'],
  ])('%s → %s, nothing stored', async (p, code) => {
    expect(await codeOf(dl(p))).toBe(code);
    expect(await exists(`src${p}`)).toBe(false);
  });

  it('refuses redirects to a local address that is not on the allow-list, without connecting', async () => {
    for (const p of ['/to-forbidden', '/to-forbidden-decimal', '/to-mapped']) {
      expect(await codeOf(dl(p))).toBe('URL_NOT_ALLOWED');
    }
    expect(forbiddenHits).toBe(0);
  });

  it('refuses the same local server when it is not allow-listed', async () => {
    expect(await codeOf(dl('/video.mp4', { allowHosts: [] }))).toBe('URL_NOT_ALLOWED');
    expect(await codeOf(downloadToS3(`http://127.0.0.1:${forbiddenPort}/`, { bucket: BUCKET, key: 'x', maxBytes: 100, allowHosts: allow, timeoutMs: 5000, client: s3 }))).toBe('URL_NOT_ALLOWED');
    expect(forbiddenHits).toBe(0);
  });

  it('enforces the byte cap from Content-Length and while streaming, and aborts the upload', async () => {
    expect(await codeOf(dl('/big.bin', { maxBytes: 1024 * 1024, key: 'src/capped-1' }))).toBe('SOURCE_TOO_LARGE');
    expect(await codeOf(dl('/chunked.bin', { maxBytes: 6 * 1024 * 1024, key: 'src/capped-2', partSize: 5 * 1024 * 1024 }))).toBe('SOURCE_TOO_LARGE');
    expect(await exists('src/capped-1')).toBe(false);
    expect(await exists('src/capped-2')).toBe(false);
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }));
    expect((uploads.Uploads ?? []).filter((u) => u.Key?.startsWith('src/capped'))).toEqual([]);
  });

  it('enforces the total time cap', async () => {
    const started = Date.now();
    expect(await codeOf(dl('/slow', { timeoutMs: 1500 }))).toBe('DOWNLOAD_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('treats 5xx and refused connections as transient (plain errors, retried)', async () => {
    expect(await codeOf(dl('/flaky'))).toMatch(/^plain:/);
  });
});

describe('safeRequest: the address is checked at connect time', () => {
  /** A resolver that answers like hostile DNS: any name → the given address. */
  const hostileDns = (address: string, family = 4) =>
    ((_host: string, _opts: unknown, cb: (err: null, a: dns.LookupAddress[]) => void) => cb(null, [{ address, family }])) as unknown as typeof dns.lookup;

  it('refuses a public-looking name that resolves to loopback (DNS rebinding)', async () => {
    const port = Number(new URL(siteUrl).port);
    // Port 80 passes the static checks; the lookup answer is what gets refused.
    expect(await codeOf(safeRequest('http://videos.example.test/a.mp4', { allowHosts: [], resolve: hostileDns('127.0.0.1') }))).toBe('URL_NOT_ALLOWED');
    expect(await codeOf(safeRequest('http://videos.example.test/a.mp4', { allowHosts: [], resolve: hostileDns('169.254.169.254') }))).toBe('URL_NOT_ALLOWED');
    expect(await codeOf(safeRequest('http://videos.example.test/a.mp4', { allowHosts: [], resolve: hostileDns('::ffff:10.0.0.1', 6) }))).toBe('URL_NOT_ALLOWED');
    // Allow-list entries are exact: 127.0.0.1:<port> does not cover another name on that port…
    expect(await codeOf(safeRequest(`http://videos.example.test:${port}/video.mp4`, { allowHosts: allow, resolve: hostileDns('127.0.0.1') }))).toBe('URL_NOT_ALLOWED');
    // …while the name itself, listed with its port, reaches the local server.
    const ok = await safeRequest(`http://videos.example.test:${port}/video.mp4`, {
      method: 'HEAD',
      allowHosts: [`videos.example.test:${port}`],
      resolve: hostileDns('127.0.0.1'),
    });
    expect(ok.status).toBe(200);
    ok.body.resume();
  });

  it('returns the final URL and the redirect chain', async () => {
    const res = await safeRequest(`${siteUrl}/to-video`, { method: 'HEAD', allowHosts: allow });
    res.body.resume();
    expect(res.status).toBe(200);
    expect(res.url).toBe(`${siteUrl}/video.mp4`);
    expect(res.redirects).toEqual([`${siteUrl}/video.mp4`]);
  });

  it('caps redirects', async () => {
    expect(await codeOf(safeRequest(`${siteUrl}/loop`, { allowHosts: allow, maxRedirects: 3 }))).toBe('URL_NOT_ALLOWED');
  });
});

describe('probeUrl (quote without downloading)', () => {
  it('probes through the safe client, reading only part of the file', async () => {
    const info = await probeUrl(`${siteUrl}/video.mp4`, { allowHosts: allow });
    expect(info).toMatchObject({ hasVideo: true, hasAudio: true, width: 640, height: 360 });
    expect(info.durationSeconds).toBeCloseTo(75, 0);
    expect(info.sizeBytes).toBe(fs.statSync(videoPath).size);
  });

  it.each([
    ['/missing', 'SOURCE_NOT_FOUND'],
    ['/page', 'NOT_A_VIDEO'],
    ['/to-forbidden', 'URL_NOT_ALLOWED'],
    ['/to-metadata', 'URL_NOT_ALLOWED'],
  ])('%s → %s', async (p, code) => {
    expect(await codeOf(probeUrl(`${siteUrl}${p}`, { allowHosts: allow }))).toBe(code);
    expect(forbiddenHits).toBe(0);
  });
});
