import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { MediaError } from '../media/errors.ts';
import { looksLikeHtml, safeRequest, statusError } from '../media/download.ts';
import type { MediaInfo } from './ports.ts';

/**
 * Probes an untrusted URL without downloading it and without letting ffprobe connect anywhere
 * itself: ffprobe talks to a one-off loopback proxy, and the proxy forwards each (range) request
 * through the SSRF-safe `safeRequest` — so every hop and every redirect is checked at connect time.
 */
export interface RemoteProbeOptions {
  allowHosts: string[];
  timeoutMs: number;
  probe: (input: string) => Promise<MediaInfo>;
}

const PASS_HEADERS = ['content-type', 'content-length', 'content-range', 'accept-ranges', 'last-modified', 'etag'];

async function preflight(url: string, opts: RemoteProbeOptions): Promise<void> {
  const res = await safeRequest(url, { method: 'GET', headers: { range: 'bytes=0-4095' }, allowHosts: opts.allowHosts, timeoutMs: opts.timeoutMs });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= 4096) break;
  }
  res.body.destroy();
  if (res.status === 416) throw new MediaError('EMPTY_SOURCE', 'The source is empty (0 bytes)');
  if (res.status >= 400) throw statusError(res.status, url);
  const contentType = String(res.headers['content-type'] ?? '');
  if (looksLikeHtml(contentType, Buffer.concat(chunks))) throw new MediaError('NOT_A_VIDEO', 'The URL points to a web page, not to a video file');
  if (size === 0) throw new MediaError('EMPTY_SOURCE', 'The source is empty (0 bytes)');
}

export async function probeRemote(url: string, opts: RemoteProbeOptions): Promise<MediaInfo> {
  await preflight(url, opts);
  const server = http.createServer((req, res) => {
    const headers: Record<string, string> = {};
    if (typeof req.headers.range === 'string') headers.range = req.headers.range;
    const method = req.method === 'HEAD' ? 'HEAD' : 'GET';
    safeRequest(url, { method, headers, allowHosts: opts.allowHosts, timeoutMs: opts.timeoutMs }).then(
      (upstream) => {
        const out: Record<string, string> = {};
        for (const h of PASS_HEADERS) {
          const v = upstream.headers[h];
          if (typeof v === 'string') out[h] = v;
        }
        res.writeHead(upstream.status, out);
        upstream.body.pipe(res);
        res.on('close', () => upstream.body.destroy());
      },
      (err: unknown) => {
        res.writeHead(err instanceof MediaError ? 403 : 502).end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const timer = setTimeout(() => server.closeAllConnections(), opts.timeoutMs);
  try {
    return await opts.probe(`http://127.0.0.1:${port}/source`);
  } finally {
    clearTimeout(timer);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
