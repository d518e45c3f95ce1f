import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startFauxqs } from 'fauxqs';
import { startEgressProxy, type EgressProxy } from '../../../lib/media/egress-proxy.ts';
import { orYtDlp, ytDlpProbe, ytDlpToS3 } from '../../../lib/media/ytdlp.ts';
import { MediaError } from '../../../lib/media/errors.ts';
import { closeServers, codeOf, listen, sampleVideo } from './media-fixtures.ts';

/**
 * The optional yt-dlp provider with the real yt-dlp binary (Debian package; .ci/run installs it)
 * and its SSRF-safe egress proxy: a local "video site" page with a <video> tag, allow-listed as
 * exactly its host:port; a second local server that must never be reached; fauxqs as S3.
 */
const BIN = 'yt-dlp';
const BUCKET = 'ytdlp-test';
let fauxqs: Awaited<ReturnType<typeof startFauxqs>>;
let s3: S3Client;
let site: http.Server;
let siteUrl: string;
let allow: string[];
let forbidden: http.Server;
let forbiddenPort: number;
let forbiddenHits = 0;
let videoPath: string;



/** Sends raw bytes to the proxy and returns its status line. */
async function rawStatus(proxy: EgressProxy, request: string): Promise<string> {
  const { port } = new URL(proxy.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(request));
    let data = '';
    socket.on('data', (d: Buffer) => {
      data += d.toString();
      if (data.includes('\r\n')) {
        resolve(data.split('\r\n')[0]!);
        socket.destroy();
      }
    });
    socket.on('error', reject);
  });
}

beforeAll(async () => {
  const version = spawnSync(BIN, ['--version'], { encoding: 'utf8' });
  if (version.status !== 0) throw new Error('yt-dlp is not installed (the optional page-URL provider is tested with it): apt-get install yt-dlp');
  videoPath = (await sampleVideo({ seconds: 75, width: 640, height: 360, withSubtitleTrack: true })).outPath;
  fauxqs = await startFauxqs({ port: 0, logger: false });
  fauxqs.createBucket(BUCKET);
  s3 = new S3Client({ region: 'us-east-1', endpoint: fauxqs.address, forcePathStyle: true, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });

  forbidden = http.createServer((_req, res) => {
    forbiddenHits += 1;
    res.writeHead(200, { 'content-type': 'video/mp4' }).end('secret');
  });
  forbiddenPort = await listen(forbidden);

  site = http.createServer((req, res) => {
    const p = new URL(req.url ?? '/', 'http://x').pathname;
    const page = (src: string) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><html><head><title>Talk</title></head><body><video controls src="${src}"></video></body></html>`);
    if (p === '/watch') return void page('/media/talk.mp4');
    if (p === '/watch-forbidden') return void page(`http://127.0.0.1:${forbiddenPort}/talk.mp4`);
    if (p === '/watch-metadata') return void page('http://169.254.169.254/latest/meta-data/talk.mp4');
    if (p === '/nothing') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>No video here</title><p>hello</p>');
    if (p === '/media/talk.mp4') {
      const size = fs.statSync(videoPath).size;
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(size) });
      fs.createReadStream(videoPath).pipe(res);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('nope');
  });
  const port = await listen(site);
  siteUrl = `http://127.0.0.1:${port}`;
  allow = [`127.0.0.1:${port}`];
}, 600_000);

afterAll(async () => {
  await closeServers(site, forbidden);
  await fauxqs?.stop();
});

describe('egress proxy (what yt-dlp talks through)', () => {
  it('forwards plain requests to allowed hosts and refuses the rest', async () => {
    const proxy = await startEgressProxy({ allowHosts: allow });
    try {
      expect(await rawStatus(proxy, `GET ${siteUrl}/watch HTTP/1.1\r\nhost: x\r\n\r\n`)).toBe('HTTP/1.1 200 OK');
      expect(await rawStatus(proxy, `GET http://127.0.0.1:${forbiddenPort}/x HTTP/1.1\r\nhost: x\r\n\r\n`)).toBe('HTTP/1.1 403 Forbidden');
      expect(await rawStatus(proxy, 'GET http://169.254.169.254/latest/meta-data/ HTTP/1.1\r\nhost: x\r\n\r\n')).toBe('HTTP/1.1 403 Forbidden');
      expect(await rawStatus(proxy, 'GET http://2130706433/ HTTP/1.1\r\nhost: x\r\n\r\n')).toBe('HTTP/1.1 403 Forbidden');
      expect(proxy.refused.length).toBe(3);
    } finally {
      await proxy.close();
    }
    expect(forbiddenHits).toBe(0);
  });

  it('opens CONNECT tunnels only to allowed addresses and ports', async () => {
    const proxy = await startEgressProxy({ allowHosts: allow });
    try {
      expect(await rawStatus(proxy, `CONNECT ${new URL(siteUrl).host} HTTP/1.1\r\n\r\n`)).toBe('HTTP/1.1 200 Connection Established');
      expect(await rawStatus(proxy, `CONNECT 127.0.0.1:${forbiddenPort} HTTP/1.1\r\n\r\n`)).toBe('HTTP/1.1 403 Forbidden');
      expect(await rawStatus(proxy, 'CONNECT 169.254.169.254:443 HTTP/1.1\r\n\r\n')).toBe('HTTP/1.1 403 Forbidden');
      expect(await rawStatus(proxy, 'CONNECT [::ffff:127.0.0.1]:443 HTTP/1.1\r\n\r\n')).toBe('HTTP/1.1 403 Forbidden');
      expect(await rawStatus(proxy, 'CONNECT localhost:443 HTTP/1.1\r\n\r\n')).toBe('HTTP/1.1 403 Forbidden');
      expect(await rawStatus(proxy, 'CONNECT example.com:22 HTTP/1.1\r\n\r\n')).toBe('HTTP/1.1 403 Forbidden');
    } finally {
      await proxy.close();
    }
    expect(forbiddenHits).toBe(0);
  });
});

describe('yt-dlp provider', () => {
  const opts = () => ({ allowHosts: allow, timeoutMs: 60_000, binary: BIN });

  it('quotes the video of a page: duration and streams', async () => {
    const info = await ytDlpProbe(`${siteUrl}/watch`, opts());
    expect(info).toMatchObject({ hasVideo: true, hasAudio: true, width: 640, height: 360 });
    expect(info.durationSeconds).toBeCloseTo(75, 0);
  }, 120_000);

  it('streams the page’s video into S3, byte for byte', async () => {
    const r = await ytDlpToS3(`${siteUrl}/watch`, { ...opts(), bucket: BUCKET, key: 'src/watch', maxBytes: 64 * 1024 * 1024, client: s3 });
    const stored = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'src/watch' }))).Body!.transformToByteArray());
    const original = fs.readFileSync(videoPath);
    expect(r.bytes).toBe(original.length);
    expect(createHash('sha256').update(stored).digest('hex')).toBe(createHash('sha256').update(original).digest('hex'));
  }, 120_000);

  it('keeps the byte cap', async () => {
    expect(await codeOf(ytDlpToS3(`${siteUrl}/watch`, { ...opts(), bucket: BUCKET, key: 'src/capped', maxBytes: 100_000, client: s3 }))).toBe('SOURCE_TOO_LARGE');
  }, 120_000);

  it('a page pointing at an internal address is refused by the proxy, and nothing reaches it', async () => {
    expect(await codeOf(ytDlpToS3(`${siteUrl}/watch-forbidden`, { ...opts(), bucket: BUCKET, key: 'src/f', maxBytes: 64 * 1024 * 1024, client: s3 }))).toBe('URL_NOT_ALLOWED');
    expect(await codeOf(ytDlpProbe(`${siteUrl}/watch-metadata`, opts()))).toBe('URL_NOT_ALLOWED');
    expect(forbiddenHits).toBe(0);
  }, 120_000);

  it('a page without a video → NOT_A_VIDEO; a page on a non-allow-listed host → URL_NOT_ALLOWED', async () => {
    expect(await codeOf(ytDlpProbe(`${siteUrl}/nothing`, opts()))).toBe('NOT_A_VIDEO');
    expect(await codeOf(ytDlpProbe(`http://127.0.0.1:${forbiddenPort}/watch`, opts()))).toBe('URL_NOT_ALLOWED');
    expect(forbiddenHits).toBe(0);
  }, 120_000);

  it('is off by default: a web page stays NOT_A_VIDEO without YTDLP_ENABLED', async () => {
    let called = false;
    const direct = () => Promise.reject(new MediaError('NOT_A_VIDEO', 'The URL points to a web page, not a video file'));
    expect(await codeOf(orYtDlp(direct, async () => void (called = true)))).toBe('NOT_A_VIDEO');
    expect(called).toBe(false);
  });
});
