import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connectChecked, safeRequest, type SafeRequestOptions } from './download.ts';
import { MediaError } from './errors.ts';

/**
 * A throw-away loopback HTTP proxy for tools that make their own requests (yt-dlp): every request
 * and every CONNECT tunnel it forwards follows the downloader's SSRF rules (lib/media/download.ts):
 * ports 80/443 unless allow-listed, addresses checked at connect time, redirects handed back to the
 * client so each target is checked again. What it refused is kept in `refused` for the error.
 */
export interface EgressProxy {
  url: string;
  refused: string[];
  /** Bytes relayed from upstream to the client. */
  bytesIn(): number;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'proxy-connection', 'proxy-authorization', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);

export async function startEgressProxy(opts: Pick<SafeRequestOptions, 'allowHosts' | 'timeoutMs' | 'resolve'>): Promise<EgressProxy> {
  const refused: string[] = [];
  const sockets = new Set<Socket | Duplex>();
  let bytes = 0;
  const refuse = (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof MediaError && err.code === 'URL_NOT_ALLOWED') refused.push(message);
    return message;
  };

  const server = http.createServer((req, res) => {
    // Plain http in absolute form (GET http://host/path).
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && !HOP_BY_HOP.has(k)) headers[k] = v;
    safeRequest(req.url ?? '', {
      method: req.method === 'HEAD' ? 'HEAD' : 'GET',
      headers,
      allowHosts: opts.allowHosts,
      followRedirects: false,
      timeoutMs: opts.timeoutMs ?? 30_000,
      ...(opts.resolve ? { resolve: opts.resolve } : {}),
    })
      .then((upstream) => {
        const pass: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(upstream.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) pass[k] = v;
        res.writeHead(upstream.status, pass);
        upstream.body.on('data', (c: Buffer) => (bytes += c.length));
        upstream.body.pipe(res);
        res.on('close', () => upstream.body.destroy());
      })
      .catch((err: unknown) => {
        const message = refuse(err);
        if (!res.headersSent) res.writeHead(err instanceof MediaError && err.code === 'URL_NOT_ALLOWED' ? 403 : 502, { 'content-type': 'text/plain' });
        res.end(message);
      });
  });

  server.on('connect', (req: http.IncomingMessage, client: Duplex, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(req.url ?? '');
    if (!m) {
      client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const host = m[1]!.replace(/^\[|\]$/g, '');
    connectChecked(host, Number(m[2]), opts)
      .then((upstream) => {
        sockets.add(upstream);
        upstream.on('close', () => sockets.delete(upstream));
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length) upstream.write(head);
        upstream.on('data', (c: Buffer) => (bytes += c.length));
        upstream.pipe(client);
        client.pipe(upstream);
        upstream.on('error', () => client.destroy());
        client.on('close', () => upstream.destroy());
      })
      .catch((err: unknown) => {
        const message = refuse(err);
        const status = err instanceof MediaError && err.code === 'URL_NOT_ALLOWED' ? '403 Forbidden' : '502 Bad Gateway';
        client.end(`HTTP/1.1 ${status}\r\ncontent-type: text/plain\r\n\r\n${message}`);
      });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    refused,
    bytesIn: () => bytes,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
