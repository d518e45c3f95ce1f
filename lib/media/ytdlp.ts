import { spawn, spawnSync } from 'node:child_process';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { pipeline } from 'node:stream/promises';
import { config } from '../config/index.ts';
import { logger } from '../http/logger.ts';
import { GuardedStream } from './download.ts';
import { startEgressProxy, type EgressProxy } from './egress-proxy.ts';
import { MediaError } from './errors.ts';
import type { MediaInfo } from './ffmpeg.ts';
import { probeUrl } from './remote.ts';

/**
 * Optional yt-dlp provider for page URLs (a video site's watch page rather than a media file).
 * Off by default: used only when YTDLP_ENABLED is true AND the binary runs. yt-dlp makes its own
 * requests, so it is pointed at a loopback egress proxy (lib/media/egress-proxy.ts) that applies the
 * downloader's SSRF rules to every request and tunnel; its output is streamed into S3 under the same
 * byte cap as direct downloads. Only single-file (progressive) formats are taken, so nothing needs
 * merging and nothing is held on disk or in memory.
 */

/** Progressive formats only (video and audio in one file; unknown codecs allowed), mp4 first. */
export const YTDLP_FORMAT = 'best[ext=mp4][vcodec!=?none][acodec!=?none]/best[vcodec!=?none][acodec!=?none]';

let available: { path: string; ok: boolean } | undefined;

/** The binary to use, or undefined when the provider is off or yt-dlp is not installed. */
export function ytDlpBinary(): string | undefined {
  const c = config();
  if (!c.YTDLP_ENABLED) return undefined;
  if (available?.path !== c.YTDLP_PATH) {
    const r = spawnSync(c.YTDLP_PATH, ['--version'], { encoding: 'utf8', timeout: 10_000 });
    available = { path: c.YTDLP_PATH, ok: r.status === 0 };
    if (!available.ok) logger.warn('YTDLP_ENABLED is set but yt-dlp does not run; page URLs are refused', { path: c.YTDLP_PATH });
  }
  return available.ok ? c.YTDLP_PATH : undefined;
}

export interface YtDlpOptions {
  allowHosts: string[];
  timeoutMs: number;
  /** Test seam; defaults to ytDlpBinary(). */
  binary?: string;
}

const MAX_FILESIZE = /larger than max-filesize/i;

const BASE_ARGS = ['--ignore-config', '--no-playlist', '--no-cache-dir', '--no-progress', '--no-warnings', '--socket-timeout', '30', '--retries', '2'];

interface Run {
  code: number | null;
  stderr: string;
}

/** yt-dlp's stderr mapped to our error codes (SSRF refusals by the proxy come first). */
function failure(run: Run, proxy: EgressProxy, url: string): Error {
  if (proxy.refused.length) return new MediaError('URL_NOT_ALLOWED', proxy.refused[0]!);
  const text = run.stderr;
  if (/Unsupported URL|No video formats found|no suitable formats|Requested format is not available/i.test(text)) {
    return new MediaError('NOT_A_VIDEO', 'No downloadable video was found on that page');
  }
  if (/HTTP Error 404|HTTP Error 410|Video unavailable|Private video|This video is not available/i.test(text)) {
    return new MediaError('SOURCE_NOT_FOUND', 'The video on that page is not available');
  }
  if (MAX_FILESIZE.test(text)) return new MediaError('SOURCE_TOO_LARGE', 'The video is larger than the limit');
  logger.warn('yt-dlp failed', { url, code: run.code, stderr: text.slice(-2000) });
  return new Error(`yt-dlp failed (exit ${run.code}): ${text.trim().split('\n').at(-1) ?? ''}`);
}

async function withProxy<T>(opts: YtDlpOptions, fn: (proxy: EgressProxy, bin: string) => Promise<T>): Promise<T> {
  const bin = opts.binary ?? ytDlpBinary();
  if (!bin) throw new MediaError('NOT_A_VIDEO', 'The URL points to a web page, not a video file');
  const proxy = await startEgressProxy({ allowHosts: opts.allowHosts, timeoutMs: 30_000 });
  try {
    return await fn(proxy, bin);
  } finally {
    await proxy.close();
  }
}

/** Metadata of the video on a page (`yt-dlp -J`): enough to quote it. */
export async function ytDlpProbe(url: string, opts: YtDlpOptions): Promise<MediaInfo> {
  return withProxy(opts, async (proxy, bin) => {
    const child = spawn(bin, [...BASE_ARGS, '--proxy', proxy.url, '-f', YTDLP_FORMAT, '-J', '--', url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    const code = await new Promise<number | null>((r) => child.once('close', r));
    clearTimeout(timer);
    if (code !== 0) throw failure({ code, stderr }, proxy, url);
    const info = JSON.parse(out) as { duration?: number; width?: number; height?: number; vcodec?: string; acodec?: string; ext?: string; url?: string; is_live?: boolean };
    if (info.is_live) throw new MediaError('NOT_A_VIDEO', 'Live streams are not supported; clip a recording');
    if (!info.duration || !(info.duration > 0)) {
      // Pages without metadata (a plain <video> tag): probe the chosen file itself, SSRF-safe.
      if (!info.url) throw new MediaError('NOT_A_VIDEO', 'No downloadable video was found on that page');
      return probeUrl(info.url, { allowHosts: opts.allowHosts, timeoutMs: 30_000 });
    }
    return {
      durationSeconds: info.duration,
      formatName: `yt-dlp:${info.ext ?? 'unknown'}`,
      hasVideo: info.vcodec !== 'none',
      hasAudio: info.acodec !== 'none',
      ...(info.width ? { width: info.width } : {}),
      ...(info.height ? { height: info.height } : {}),
      ...(info.vcodec && info.vcodec !== 'none' ? { videoCodec: info.vcodec } : {}),
      ...(info.acodec && info.acodec !== 'none' ? { audioCodec: info.acodec } : {}),
      subtitleStreams: [],
    } as MediaInfo;
  });
}

/** Streams the page's video into S3 (yt-dlp writes to stdout; byte cap and HTML sniffing apply). */
export async function ytDlpToS3(
  url: string,
  opts: YtDlpOptions & { bucket: string; key: string; maxBytes: number; client?: S3Client },
): Promise<{ bytes: number; contentType?: string }> {
  return withProxy(opts, async (proxy, bin) => {
    const client = opts.client ?? (await import('../aws/clients.ts')).s3();
    const child = spawn(bin, [...BASE_ARGS, '--proxy', proxy.url, '-f', YTDLP_FORMAT, '--max-filesize', String(opts.maxBytes), '-o', '-', '--', url], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    const closed = new Promise<number | null>((r) => child.once('close', r));
    const guard = new GuardedStream(opts.maxBytes, undefined);
    const upload = new Upload({
      client,
      params: { Bucket: opts.bucket, Key: opts.key, Body: guard, ContentType: 'video/mp4' },
      partSize: 8 * 1024 * 1024,
      queueSize: 2,
      leavePartsOnError: false,
    });
    const uploaded = upload.done();
    uploaded.catch(() => undefined);
    try {
      await pipeline(child.stdout, guard);
      const code = await closed;
      if (code !== 0) throw failure({ code, stderr }, proxy, url);
      // yt-dlp refuses a file whose announced size is over --max-filesize, and exits 0.
      if (MAX_FILESIZE.test(stderr)) throw new MediaError('SOURCE_TOO_LARGE', `The video is larger than the limit of ${opts.maxBytes} bytes`);
      if (guard.bytes === 0) throw new MediaError('EMPTY_SOURCE', 'The page’s video is empty');
      await uploaded;
      return { bytes: guard.bytes, contentType: 'video/mp4' };
    } catch (err) {
      child.kill('SIGKILL');
      await upload.abort().catch(() => undefined);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  });
}

/**
 * A direct-media call first; when it says "this is a web page" (NOT_A_VIDEO) and the yt-dlp
 * provider is on, the yt-dlp call instead.
 */
export async function orYtDlp<T>(direct: () => Promise<T>, viaYtDlp: () => Promise<T>): Promise<T> {
  try {
    return await direct();
  } catch (err) {
    if (err instanceof MediaError && err.code === 'NOT_A_VIDEO' && ytDlpBinary()) return viaYtDlp();
    throw err;
  }
}
