import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { envSchema } from '../config/index.ts';
import type { Transcript } from '../ai/types.ts';
import { parseSubtitles } from './captions.ts';
import { launch, type Launch } from './launcher.ts';
import { MediaError } from './errors.ts';

/**
 * ffmpeg / ffprobe wrappers. Inputs are a local path or an http(s) URL (e.g. a presigned S3 URL);
 * nothing here reads a whole video into memory. Media problems surface as MediaError codes.
 */

const require = createRequire(import.meta.url);
const toolEnv = envSchema.pick({ FFMPEG_PATH: true, FFPROBE_PATH: true });

let ffmpegCached: string | undefined;
let ffprobeCached: string | undefined;

/** FFMPEG_PATH, else the static build from @ffmpeg-installer/ffmpeg. */
export function ffmpegPath(): string {
  ffmpegCached ??= toolEnv.parse(process.env).FFMPEG_PATH ?? (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  return ffmpegCached;
}

/**
 * FFPROBE_PATH, else @ffprobe-installer/ffprobe. That package ships its binary as rwxr--r-- (owner
 * only); when this user cannot execute it, a copy with the execute bit is made under the temp dir.
 */
export function ffprobePath(): string {
  if (ffprobeCached) return ffprobeCached;
  const configured = toolEnv.parse(process.env).FFPROBE_PATH;
  if (configured) return (ffprobeCached = configured);
  const shipped = (require('@ffprobe-installer/ffprobe') as { path: string }).path;
  try {
    fs.accessSync(shipped, fs.constants.X_OK);
    ffprobeCached = shipped;
  } catch {
    const copy = path.join(os.tmpdir(), `clipforge-ffprobe-${fs.statSync(shipped).size}`);
    if (!fs.existsSync(copy)) {
      fs.copyFileSync(shipped, `${copy}.part`);
      fs.chmodSync(`${copy}.part`, 0o755);
      fs.renameSync(`${copy}.part`, copy);
    }
    ffprobeCached = copy;
  }
  return ffprobeCached;
}

export interface RunResult {
  code: number;
  stdout: Buffer;
  /** The last ~64 KiB of stderr. */
  stderr: string;
}

export interface RunOptions {
  timeoutMs?: number;
  cwd?: string;
  /** Called with each complete stderr line (ffmpeg reports filters' findings there). */
  onStderrLine?: (line: string) => void;
  captureStdout?: boolean;
  /** How the process is started (default: lib/media/launcher.ts `launch`). */
  launch?: Launch;
}

/** Runs a binary with an argument list (no shell); resolves with its exit code and output. */
export function run(bin: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = (opts.launch ?? launch)(bin, args, opts.cwd);
    const out: Buffer[] = [];
    let err = '';
    let partial = '';
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`${path.basename(bin)} timed out after ${opts.timeoutMs} ms`));
        }, opts.timeoutMs)
      : undefined;
    child.stdout.on('data', (b: Buffer) => {
      if (opts.captureStdout !== false) out.push(b);
    });
    child.stderr.on('data', (b: Buffer) => {
      const text = b.toString('utf8');
      err = (err + text).slice(-65536);
      if (opts.onStderrLine) {
        const lines = (partial + text).split(/\r?\n|\r/);
        partial = lines.pop() ?? '';
        for (const line of lines) opts.onStderrLine(line);
      }
    });
    child.on('error', (e: Error) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code: number | null) => {
      clearTimeout(timer);
      if (partial && opts.onStderrLine) opts.onStderrLine(partial);
      resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr: err });
    });
  });
}

export function isUrl(input: string): boolean {
  return /^https?:\/\//i.test(input);
}

/**
 * The containers we read user media from (ffmpeg demuxer names). Everything else is refused before
 * ffmpeg opens it: above all the demuxers that open further URLs or files themselves — HLS/DASH
 * playlists, concat lists, image sequences — which would let an upload or a linked file make ffmpeg
 * connect to loopback, private or metadata addresses around the SSRF-safe downloader.
 * Audio-only containers stay readable so they are reported as "audio only", not as unknown.
 */
export const MEDIA_DEMUXERS = [
  'mov', 'mp4', 'm4a', '3gp', '3g2', 'mj2', 'matroska', 'webm', 'avi', 'flv', 'mpegts', 'mpeg', 'ogg', 'asf', 'mxf', 'wav', 'mp3', 'aac', 'flac',
] as const;

/** Demuxers that read other URLs or files named inside the input. */
const PLAYLIST_DEMUXERS = /^(hls|applehttp|dash|concat|ffmetadata|image2|mpjpeg|sdp|rtsp|rtp|tee|data|subviewer|srtp|smjpeg|webm_dash_manifest)$/;

/**
 * Input options for every ffmpeg/ffprobe run on user media: only our real media demuxers, and only
 * the protocols the input itself needs — a presigned URL of our bucket (http/https over tcp/tls) or
 * a local file, never both — so nothing inside a file can make ffmpeg open another URL or path.
 * HTTP inputs also give up on a stall instead of hanging.
 */
export function userInputOptions(input: string, opts: { reconnect?: boolean } = {}): string[] {
  const guard = ['-format_whitelist', MEDIA_DEMUXERS.join(','), '-protocol_whitelist', isUrl(input) ? 'http,https,tcp,tls' : 'file'];
  if (!isUrl(input)) return guard;
  return [...guard, '-rw_timeout', '30000000', ...(opts.reconnect ? ['-reconnect', '1', '-reconnect_streamed', '0'] : [])];
}

const inputOptions = (input: string): string[] => userInputOptions(input, { reconnect: true });
const probeInputOptions = (input: string): string[] => userInputOptions(input);

/** The demuxer named in ffmpeg's "Format not on whitelist" refusal (`[hls @ 0x…]`), if any. */
function refusedFormat(stderr: string): string | undefined {
  if (!/Format not on whitelist/i.test(stderr)) return undefined;
  return /\[([\w,]+) @ 0x[0-9a-f]+\] Format not on whitelist/i.exec(stderr)?.[1] ?? 'unknown';
}

/** First bytes of a local file (for telling web pages and text from broken media). */
function sniff(input: string): string {
  if (isUrl(input)) return '';
  try {
    const fd = fs.openSync(input, 'r');
    try {
      const buf = Buffer.alloc(512);
      const n = fs.readSync(fd, buf, 0, 512, 0);
      return buf.subarray(0, n).toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

function looksLikeText(head: string): boolean {
  if (!head) return false;
  const t = head.replace(/^\uFEFF/, '').trimStart().toLowerCase();
  if (t.startsWith('<!doctype') || t.startsWith('<html') || t.startsWith('<?xml') || t.startsWith('{')) return true;
  // Printable text with no binary bytes is not media.
  return !/[\u0000-\u0008\u000e-\u001f\ufffd]/.test(head);
}

/** Maps an ffmpeg/ffprobe failure to a MediaError (permanent) or a plain Error (retryable). */
export function classifyFailure(input: string, stderr: string, tool = 'ffmpeg'): Error {
  const detail = stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 400);
  if (/\b(404|410)\b.*Not Found|HTTP error 40[34]|HTTP error 410|Server returned 40[134]/i.test(stderr)) {
    return new MediaError('SOURCE_NOT_FOUND', 'The source could not be read (not found)');
  }
  if (/No such file or directory/i.test(stderr) && !isUrl(input)) {
    return new MediaError('SOURCE_NOT_FOUND', 'The source file does not exist');
  }
  // Newer builds refuse to even probe a playlist served under another name; same answer.
  if (/Not detecting m3u8\/hls/i.test(stderr)) {
    return new MediaError('UNSUPPORTED_FORMAT', 'Playlists and file lists (hls) are not accepted: upload or link the video file itself');
  }
  const refused = refusedFormat(stderr);
  if (refused !== undefined) {
    // ffmpeg names the context by its demuxer's names ("hls,applehttp"), ffprobe by the first.
    if (refused.split(',').some((name) => PLAYLIST_DEMUXERS.test(name))) {
      return new MediaError('UNSUPPORTED_FORMAT', `Playlists and file lists (${refused}) are not accepted: upload or link the video file itself`);
    }
    if (NOT_VIDEO_FORMATS.test(refused) || looksLikeText(sniff(input))) return new MediaError('NOT_A_VIDEO', `The file is not a video (${refused})`);
    return new MediaError('UNSUPPORTED_FORMAT', `The container format ${refused} is not supported`);
  }
  if (/HTTP error 5\d\d|Server returned 5\d\d|Connection (refused|reset|timed out)|timed out|Network is unreachable|I\/O error/i.test(stderr)) {
    return new Error(`${tool} could not read the source: ${detail}`);
  }
  if (looksLikeText(sniff(input))) return new MediaError('NOT_A_VIDEO', 'The file is a text or web page, not a video');
  if (/Decoder \(codec \w+\) not found|unsupported codec|Unknown decoder|Codec .* is not supported/i.test(stderr)) {
    return new MediaError('UNSUPPORTED_CODEC', `The video uses a codec we cannot decode: ${detail}`);
  }
  return new MediaError('CORRUPT_MEDIA', `The file is damaged or not a media file (${detail || `${tool} failed`})`);
}

const probeJsonSchema = z.object({
  streams: z
    .array(
      z.looseObject({
        index: z.number(),
        codec_type: z.string().optional(),
        codec_name: z.string().optional(),
        width: z.number().optional(),
        height: z.number().optional(),
        duration: z.string().optional(),
        disposition: z.record(z.string(), z.number()).optional(),
        tags: z.record(z.string(), z.string()).optional(),
      }),
    )
    .default([]),
  format: z
    .looseObject({
      format_name: z.string().optional(),
      duration: z.string().optional(),
      size: z.string().optional(),
    })
    .optional(),
});

export interface SubtitleStream {
  index: number;
  codec: string;
  language?: string;
}

export interface MediaInfo {
  durationSeconds: number;
  formatName: string;
  hasVideo: boolean;
  hasAudio: boolean;
  width?: number;
  height?: number;
  videoCodec?: string;
  audioCodec?: string;
  subtitleStreams: SubtitleStream[];
}

const TEXT_SUBTITLE_CODECS = new Set(['subrip', 'srt', 'ass', 'ssa', 'webvtt', 'mov_text', 'text', 'microdvd', 'subviewer', 'jacosub', 'realtext', 'sami', 'stl', 'mpl2', 'pjs', 'vplayer', 'eia_608']);

/** Text subtitle tracks can become a transcript; bitmap ones (DVD, PGS) cannot. */
export function isTextSubtitleCodec(codec: string): boolean {
  return TEXT_SUBTITLE_CODECS.has(codec);
}

let decodableCodecs: Promise<Set<string>> | undefined;

/** Codec names this ffmpeg build can decode (from `ffmpeg -codecs`). */
export function ffmpegDecodableCodecs(): Promise<Set<string>> {
  decodableCodecs ??= run(ffmpegPath(), ['-hide_banner', '-codecs']).then((r) => {
    const set = new Set<string>();
    for (const line of r.stdout.toString('utf8').split('\n')) {
      const m = /^\s([D.])[E.][VAST][I.][L.][S.]\s+(\S+)/.exec(line);
      if (m && m[1] === 'D') set.add(m[2]!);
    }
    return set;
  });
  // A failed listing (a transient spawn failure) is asked again next time, not cached.
  decodableCodecs.catch(() => {
    decodableCodecs = undefined;
  });
  return decodableCodecs;
}

/** A probed format_name ("mov,mp4,m4a,3gp,3g2,mj2") whose every name is one of our media demuxers. */
export function isMediaFormat(formatName: string): boolean {
  const names = formatName.split(',').filter(Boolean);
  return names.length > 0 && names.every((n) => (MEDIA_DEMUXERS as readonly string[]).includes(n));
}

const NOT_VIDEO_FORMATS = /(^|,)(image2|tty|\w+_pipe|lrc|srt|webvtt|ass)(,|$)/;

/**
 * ffprobe: duration, streams, resolution. Throws MediaError: SOURCE_NOT_FOUND, EMPTY_SOURCE,
 * NOT_A_VIDEO (text, web pages, images, and — unless `requireVideo: false` — audio-only files),
 * CORRUPT_MEDIA (unreadable or no duration), UNSUPPORTED_CODEC (video codec ffmpeg cannot decode).
 */
export async function probe(input: string, opts: { requireVideo?: boolean; timeoutMs?: number } = {}): Promise<MediaInfo> {
  const requireVideo = opts.requireVideo ?? true;
  if (!isUrl(input)) {
    let size: number;
    try {
      size = fs.statSync(input).size;
    } catch {
      throw new MediaError('SOURCE_NOT_FOUND', 'The source file does not exist');
    }
    if (size === 0) throw new MediaError('EMPTY_SOURCE', 'The source is empty (0 bytes)');
  }
  const r = await run(
    ffprobePath(),
    ['-v', 'error', ...probeInputOptions(input), '-print_format', 'json', '-show_format', '-show_streams', input],
    { timeoutMs: opts.timeoutMs ?? 60_000 },
  );
  if (r.code !== 0) throw classifyFailure(input, r.stderr, 'ffprobe');
  let parsed: z.infer<typeof probeJsonSchema>;
  try {
    parsed = probeJsonSchema.parse(JSON.parse(r.stdout.toString('utf8')));
  } catch (err) {
    throw new MediaError('CORRUPT_MEDIA', 'The media could not be analysed', { cause: err });
  }
  const formatName = parsed.format?.format_name ?? 'unknown';
  const streams = parsed.streams;
  const video = streams.find((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1 && s.codec_name !== 'ansi');
  const audio = streams.find((s) => s.codec_type === 'audio');
  const subtitleStreams: SubtitleStream[] = streams
    .filter((s) => s.codec_type === 'subtitle')
    .map((s) => ({
      index: s.index,
      codec: s.codec_name ?? 'unknown',
      ...(s.tags?.language && s.tags.language !== 'und' ? { language: s.tags.language } : {}),
    }));
  if (NOT_VIDEO_FORMATS.test(formatName)) {
    throw new MediaError('NOT_A_VIDEO', `The file is not a video (${formatName})`);
  }
  // The demuxer whitelist refused everything else already; this keeps the rule if an option is lost.
  if (!isMediaFormat(formatName)) throw new MediaError('UNSUPPORTED_FORMAT', `The container format ${formatName} is not supported`);
  if (!video && !audio) throw new MediaError('NOT_A_VIDEO', 'The file has no video or audio stream');
  if (!video && requireVideo) throw new MediaError('NOT_A_VIDEO', 'The file has no video stream (audio only)');
  const durations = [parsed.format?.duration, ...streams.map((s) => s.duration)]
    .map((d) => Number(d))
    .filter((d) => Number.isFinite(d) && d > 0);
  const durationSeconds = durations.length ? Math.max(...durations) : 0;
  if (!(durationSeconds > 0)) throw new MediaError('CORRUPT_MEDIA', 'The media has no duration (damaged or truncated)');
  if (video) {
    const codec = video.codec_name;
    if (!codec || codec === 'none' || !(await ffmpegDecodableCodecs()).has(codec)) {
      throw new MediaError('UNSUPPORTED_CODEC', `The video codec ${codec ?? '(unknown)'} is not supported`);
    }
  }
  return {
    durationSeconds,
    formatName,
    hasVideo: Boolean(video),
    hasAudio: Boolean(audio),
    ...(video?.width ? { width: video.width } : {}),
    ...(video?.height ? { height: video.height } : {}),
    ...(video?.codec_name ? { videoCodec: video.codec_name } : {}),
    ...(audio?.codec_name ? { audioCodec: audio.codec_name } : {}),
    subtitleStreams,
  };
}

/** Audio settings for speech: mono, 16 kHz, 48 kbit/s MP3 (≈ 21 MiB per hour). */
export const SPEECH_AUDIO = { sampleRate: 16000, bitrateKbps: 48 } as const;

/**
 * Extracts the first audio stream as a speech MP3. Throws NO_AUDIO when there is none, and
 * CORRUPT_MEDIA when the decoded audio is much shorter than the container claims (truncated file).
 */
export async function extractAudio(
  input: string,
  outPath: string,
  span?: { startSeconds: number; endSeconds: number },
): Promise<{ bytes: number; durationSeconds: number }> {
  const info = await probe(input, { requireVideo: false });
  if (!info.hasAudio) throw new MediaError('NO_AUDIO', 'The video has no audio track');
  fs.mkdirSync(path.dirname(outPath), { recursive: true });
  const start = span ? Math.max(0, span.startSeconds) : 0;
  const expected = span ? Math.max(0, Math.min(span.endSeconds, info.durationSeconds) - start) : info.durationSeconds;
  // Input seeking (-ss before -i) on a ranged read: only the range is fetched and decoded.
  const range = span ? ['-ss', start.toFixed(3), '-t', expected.toFixed(3)] : [];
  const r = await run(ffmpegPath(), [
    '-hide_banner', '-nostdin', '-y', '-v', 'error',
    ...inputOptions(input), ...range, '-i', input,
    '-map', '0:a:0', '-vn', '-sn', '-dn',
    '-ac', '1', '-ar', String(SPEECH_AUDIO.sampleRate), '-c:a', 'libmp3lame', '-b:a', `${SPEECH_AUDIO.bitrateKbps}k`,
    outPath,
  ]);
  if (r.code !== 0) throw classifyFailure(input, r.stderr);
  const bytes = fs.statSync(outPath).size;
  if (bytes === 0) throw new MediaError('CORRUPT_MEDIA', 'No audio could be decoded');
  const out = await probe(outPath, { requireVideo: false });
  if (out.durationSeconds < expected * 0.9 - 1) {
    throw new MediaError(
      'CORRUPT_MEDIA',
      `Only ${out.durationSeconds.toFixed(1)} s of ${expected.toFixed(1)} s of audio could be decoded (truncated file?)`,
    );
  }
  return { bytes, durationSeconds: out.durationSeconds };
}

/** Converts a text subtitle stream (by ffprobe stream index) into a transcript (source 'captions'). */
export async function extractSubtitleTrack(input: string, streamIndex: number): Promise<Transcript> {
  const info = await probe(input, { requireVideo: false });
  const stream = info.subtitleStreams.find((s) => s.index === streamIndex);
  if (!stream) throw new MediaError('UNSUPPORTED_CODEC', `Stream ${streamIndex} is not a subtitle track`);
  if (!isTextSubtitleCodec(stream.codec)) {
    throw new MediaError('UNSUPPORTED_CODEC', `Subtitle track ${streamIndex} is ${stream.codec} (images), not text`);
  }
  const r = await run(ffmpegPath(), [
    '-hide_banner', '-nostdin', '-v', 'error', ...inputOptions(input), '-i', input, '-map', `0:${streamIndex}`, '-f', 'srt', 'pipe:1',
  ]);
  if (r.code !== 0) throw classifyFailure(input, r.stderr);
  return {
    ...(stream.language ? { language: stream.language } : {}),
    durationSeconds: info.durationSeconds,
    source: 'captions',
    segments: parseSubtitles(r.stdout.toString('utf8')),
  };
}

export interface Silence {
  start: number;
  end: number;
}

/** Parses ffmpeg silencedetect output lines; an unterminated silence ends at `duration`. */
export function parseSilenceLines(lines: string[], duration?: number): Silence[] {
  const silences: Silence[] = [];
  let open: number | undefined;
  for (const line of lines) {
    const s = /silence_start:\s*(-?[\d.]+)/.exec(line);
    if (s) open = Math.max(0, Number(s[1]));
    const e = /silence_end:\s*([\d.]+)/.exec(line);
    if (e && open !== undefined) {
      silences.push({ start: open, end: Number(e[1]) });
      open = undefined;
    }
  }
  if (open !== undefined && duration !== undefined && duration > open) silences.push({ start: open, end: duration });
  return silences;
}

function parseDurationLine(line: string): number | undefined {
  const m = /Duration:\s*(\d+):(\d+):([\d.]+)/.exec(line);
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : undefined;
}

/** Silent stretches of the first audio stream (ffmpeg silencedetect). */
export async function detectSilences(input: string, opts: { noiseDb?: number; minSeconds?: number } = {}): Promise<Silence[]> {
  const noise = opts.noiseDb ?? -35;
  const min = opts.minSeconds ?? 0.5;
  const lines: string[] = [];
  let duration: number | undefined;
  let lastTime: number | undefined;
  const r = await run(
    ffmpegPath(),
    ['-hide_banner', '-nostdin', ...inputOptions(input), '-i', input, '-map', '0:a:0', '-vn', '-sn', '-af', `silencedetect=noise=${noise}dB:d=${min}`, '-f', 'null', '-'],
    {
      captureStdout: false,
      onStderrLine: (line) => {
        if (line.includes('silence_')) lines.push(line);
        duration ??= parseDurationLine(line);
        const t = /time=(\d+):(\d+):([\d.]+)/.exec(line);
        if (t) lastTime = Number(t[1]) * 3600 + Number(t[2]) * 60 + Number(t[3]);
      },
    },
  );
  if (r.code !== 0) {
    if (/matches no streams|Stream map '0:a:0'/i.test(r.stderr)) throw new MediaError('NO_AUDIO', 'The media has no audio track');
    throw classifyFailure(input, r.stderr);
  }
  return parseSilenceLines(lines, lastTime ?? duration).map((s) => ({ start: round3(s.start), end: round3(s.end) }));
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
