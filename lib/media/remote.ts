import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { looksLikeHtml, safeRequest, statusError } from './download.ts';
import { MediaError } from './errors.ts';
import { probe, type MediaInfo } from './ffmpeg.ts';

/**
 * Probes a user-supplied URL without downloading it all, and without letting ffprobe open
 * connections of its own (it would skip the SSRF checks): ffprobe talks to a throw-away loopback
 * proxy, and every request it makes (usually a few ranged GETs) goes out through `safeRequest`.
 */
export interface ProbeUrlOptions {
  allowHosts: string[];
  timeoutMs?: number;
  maxRedirects?: number;
}

export interface RemoteMediaInfo extends MediaInfo {
  /** Size of the source when the server told us (Content-Length / Content-Range). */
  sizeBytes?: number;
  contentType?: string;
  /** Bytes actually fetched while probing. */
  bytesRead: number;
}

export async function probeUrl(url: string, opts: ProbeUrlOptions): Promise<RemoteMediaInfo> {
  let failure: Error | undefined;
  let sizeBytes: number | undefined;
  let contentType: string | undefined;
  let bytesRead = 0;
  const server = http.createServer((req, res) => {
    const headers: Record<string, string> = {};
    if (typeof req.headers.range === 'string') headers.range = req.headers.range;
    safeRequest(url, {
      method: req.method === 'HEAD' ? 'HEAD' : 'GET',
      headers,
      allowHosts: opts.allowHosts,
      ...(opts.maxRedirects !== undefined ? { maxRedirects: opts.maxRedirects } : {}),
      timeoutMs: opts.timeoutMs ?? 30_000,
    })
      .then((upstream) => {
        const type = upstream.headers['content-type'];
        if (upstream.status >= 400) {
          failure ??= statusError(upstream.status, upstream.url);
        } else if (looksLikeHtml(type)) {
          failure ??= new MediaError('NOT_A_VIDEO', 'The URL points to a web page, not a video file');
          upstream.body.destroy();
          res.writeHead(415).end();
          return;
        }
        contentType ??= type;
        const range = /\/(\d+)$/.exec(upstream.headers['content-range'] ?? '');
        if (range) sizeBytes = Number(range[1]);
        else if (upstream.status === 200 && upstream.headers['content-length']) sizeBytes = Number(upstream.headers['content-length']);
        const pass: Record<string, string> = {};
        for (const h of ['content-type', 'content-length', 'content-range', 'accept-ranges'] as const) {
          const v = upstream.headers[h];
          if (typeof v === 'string') pass[h] = v;
        }
        res.writeHead(upstream.status, pass);
        upstream.body.on('data', (c: Buffer) => {
          bytesRead += c.length;
        });
        upstream.body.pipe(res);
        res.on('close', () => upstream.body.destroy());
      })
      .catch((err: unknown) => {
        failure ??= err instanceof Error ? err : new Error(String(err));
        if (!res.headersSent) res.writeHead(502).end();
        else res.destroy();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const info = await probe(`http://127.0.0.1:${port}/source`, { timeoutMs: opts.timeoutMs ?? 60_000 });
    return {
      ...info,
      ...(sizeBytes !== undefined ? { sizeBytes } : {}),
      ...(contentType ? { contentType } : {}),
      bytesRead,
    };
  } catch (err) {
    // The real cause (blocked address, 404, web page...) beats ffprobe's view of the proxy.
    throw failure ?? err;
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
