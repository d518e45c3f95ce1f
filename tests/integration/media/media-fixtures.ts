import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { makeSampleVideo, type SampleVideo, type SampleVideoOptions } from '../../../scripts/make-sample-video.ts';
import { MediaError, type MediaErrorCode } from '../../../lib/media/errors.ts';

/**
 * Generated speech videos, cached under the temp dir by their options (generation takes seconds
 * per video; every test file asks for the same few).
 */
export async function sampleVideo(opts: Omit<SampleVideoOptions, 'outPath'>): Promise<SampleVideo> {
  const dir = path.join(os.tmpdir(), 'clipforge-test-media');
  fs.mkdirSync(dir, { recursive: true });
  const script = fs.readFileSync(new URL('../../fixtures/sample-script.txt', import.meta.url), 'utf8');
  const id = createHash('sha256').update(JSON.stringify({ v: 1, ...opts, script: opts.script ?? script })).digest('hex').slice(0, 16);
  const outPath = path.join(dir, `${id}.mp4`);
  const meta = `${outPath}.json`;
  if (fs.existsSync(outPath) && fs.existsSync(meta)) return JSON.parse(fs.readFileSync(meta, 'utf8')) as SampleVideo;
  const tmp = path.join(dir, `${id}.${process.pid}.mp4`);
  const made = await makeSampleVideo({ ...opts, outPath: tmp });
  fs.renameSync(tmp, outPath);
  const result = { ...made, outPath };
  fs.writeFileSync(meta, JSON.stringify(result));
  return result;
}

export interface FileServer {
  url: string;
  port: number;
  /** Bytes handed to the socket per path (an upper bound of what the client read). */
  sent: Map<string, number>;
  /** Every GET: the byte range asked for and whether the client read it to the end. */
  requests: { path: string; start: number; end: number; completed: boolean }[];
  close(): Promise<void>;
}

/**
 * Serves files with Range support on 127.0.0.1:0 (like S3 or a CDN would), at most
 * `bytesPerSecond` (default 8 MB/s, so a client that stops reading is not flooded by socket buffers).
 */
export async function serveFiles(
  files: Record<string, { path: string; type: string }>,
  bytesPerSecond = 8 * 1024 * 1024,
): Promise<FileServer> {
  const sent = new Map<string, number>();
  const requests: FileServer['requests'] = [];
  const server = http.createServer((req, res) => {
    const name = new URL(req.url ?? '/', 'http://x').pathname;
    const file = files[name];
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const size = fs.statSync(file.path).size;
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
    let start = 0;
    let end = size - 1;
    if (range) {
      start = range[1] ? Number(range[1]) : size - Number(range[2]);
      end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      if (start >= size) {
        res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
        return;
      }
      res.writeHead(206, {
        'content-type': file.type,
        'content-length': String(end - start + 1),
        'content-range': `bytes ${start}-${end}/${size}`,
        'accept-ranges': 'bytes',
      });
    } else {
      res.writeHead(200, { 'content-type': file.type, 'content-length': String(size), 'accept-ranges': 'bytes' });
    }
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stream = fs.createReadStream(file.path, { start, end, highWaterMark: 16 * 1024 });
    const record = { path: name, start, end, completed: false };
    requests.push(record);
    const tickMs = 10;
    const perTick = Math.max(1024, Math.floor((bytesPerSecond * tickMs) / 1000));
    let budget = perTick;
    let waitingDrain = false;
    const timer = setInterval(() => {
      budget = perTick;
      if (!waitingDrain && stream.isPaused() && !res.destroyed) stream.resume();
    }, tickMs);
    stream.on('data', (c: string | Buffer) => {
      sent.set(name, (sent.get(name) ?? 0) + c.length);
      budget -= c.length;
      if (!res.write(c)) {
        waitingDrain = true;
        stream.pause();
        res.once('drain', () => {
          waitingDrain = false;
          if (budget > 0) stream.resume();
        });
      } else if (budget <= 0) stream.pause();
    });
    stream.on('end', () => res.end());
    res.on('finish', () => {
      record.completed = true;
    });
    res.on('close', () => {
      clearInterval(timer);
      stream.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    sent,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** The MediaError code a promise rejects with, 'ok', or `plain:<message>` for any other error. */
export async function codeOf(p: Promise<unknown>): Promise<MediaErrorCode | 'ok' | string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return err instanceof MediaError ? err.code : `plain:${(err as Error).message}`;
  }
}

/** Listens on 127.0.0.1 on a free port; resolves to the port. */
export async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** Closes test servers, dropping their open connections first. */
export async function closeServers(...servers: (http.Server | undefined)[]): Promise<void> {
  for (const s of servers) {
    if (!s) continue;
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
}
