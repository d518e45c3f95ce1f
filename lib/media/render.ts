import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { Transcript } from '../ai/types.ts';
import { sliceTranscript, toCaptionCues, toSrt, toVtt } from './captions.ts';
import { ffmpegPath, probe, run, classifyFailure, userInputOptions } from './ffmpeg.ts';

/**
 * Cuts one clip: optional reframe to 9:16 or 1:1 (centre crop), burned captions in the shipped
 * DejaVu Sans font, SRT + VTT sidecars in clip time, and a JPEG thumbnail. The input may be a
 * local path or an http(s) URL (presigned S3): `-ss` goes before `-i`, so ffmpeg seeks and reads
 * only the byte ranges it needs.
 */

export type Aspect = 'source' | '9:16' | '1:1';

export interface RenderClipOptions {
  input: string;
  start: number;
  end: number;
  aspect: Aspect;
  /** The source's transcript (source time); null or empty → no captions. */
  captions: Transcript | null;
  outDir: string;
  /** Scale down so the output is at most this tall (default 1920; never upscales). */
  maxHeight?: number;
  /** A small "Clipforge" mark in the corner (free tier). */
  watermark?: boolean;
  /**
   * 'reencode' (default) is frame-accurate and can reframe and burn captions. 'copy' cuts by
   * stream copy (fast, snaps to keyframes): only for aspect 'source'; captions are not burned but
   * the SRT/VTT sidecars are still written. A copy request with another aspect is re-encoded.
   */
  mode?: 'reencode' | 'copy';
  /** x264 preset for re-encoding (default veryfast). */
  preset?: string;
  timeoutMs?: number;
}

export interface RenderedClip {
  videoPath: string;
  srtPath?: string;
  vttPath?: string;
  thumbnailPath: string;
  durationSeconds: number;
}

const require = createRequire(import.meta.url);
const SAFE_PATH = /^[A-Za-z0-9_./-]+$/;
let fontsDirCached: string | undefined;

/**
 * Folder holding the shipped DejaVu TTFs (dejavu-fonts-ttf). ffmpeg filter arguments need escaping
 * for unusual characters, so the fonts are copied to a plain temp path when the real one has them.
 */
export function fontsDir(): string {
  if (fontsDirCached) return fontsDirCached;
  const configured = process.env.FONTS_DIR; // the media layer's /opt/fonts on AWS (serverless.yml)
  const dir = configured || path.join(path.dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
  if (SAFE_PATH.test(dir)) return (fontsDirCached = dir);
  const copy = path.join(os.tmpdir(), 'clipforge-fonts');
  fs.mkdirSync(copy, { recursive: true });
  for (const f of ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf']) fs.copyFileSync(path.join(dir, f), path.join(copy, f));
  return (fontsDirCached = copy);
}

/** The crop for an aspect ratio (centre, even sizes), or undefined for 'source'. */
export function cropFilter(aspect: Aspect): string | undefined {
  if (aspect === '9:16') return "crop='trunc(min(iw,ih*9/16)/2)*2':'trunc(min(ih,iw*16/9)/2)*2'";
  if (aspect === '1:1') return "crop='trunc(min(iw,ih)/2)*2':'trunc(min(iw,ih)/2)*2'";
  return undefined;
}

export function scaleFilter(maxHeight: number): string {
  return `scale=-2:'min(ih,${maxHeight})'`;
}

/** libass style for burned captions (SRT units: a 384×288 canvas scaled to the video). */
function captionStyle(aspect: Aspect): string {
  const size = aspect === '9:16' ? 11 : aspect === '1:1' ? 13 : 16;
  const marginV = aspect === '9:16' ? 48 : 20;
  return [
    'FontName=DejaVu Sans',
    `FontSize=${size}`,
    'Bold=1',
    'PrimaryColour=&H00FFFFFF',
    'OutlineColour=&H00000000',
    'BorderStyle=1',
    'Outline=1.5',
    'Shadow=0',
    'Alignment=2',
    `MarginV=${marginV}`,
  ].join(',');
}

export async function renderClip(opts: RenderClipOptions): Promise<RenderedClip> {
  const { input, start, end, aspect, outDir } = opts;
  if (!(end > start) || start < 0) throw new RangeError(`Invalid clip range ${start}–${end}`);
  const duration = end - start;
  fs.mkdirSync(outDir, { recursive: true });
  const videoPath = path.join(outDir, 'clip.mp4');
  const thumbnailPath = path.join(outDir, 'thumbnail.jpg');

  let srtPath: string | undefined;
  let vttPath: string | undefined;
  let burn = false;
  if (opts.captions && opts.captions.segments.length > 0) {
    const clipTranscript = sliceTranscript(opts.captions, start, end);
    if (clipTranscript.segments.length > 0) {
      srtPath = path.join(outDir, 'captions.srt');
      vttPath = path.join(outDir, 'captions.vtt');
      fs.writeFileSync(srtPath, toSrt(clipTranscript.segments));
      fs.writeFileSync(vttPath, toVtt(clipTranscript.segments));
      const cues = toCaptionCues(clipTranscript, aspect === '9:16' ? 28 : 42);
      fs.writeFileSync(path.join(outDir, 'burn.srt'), toSrt(cues));
      burn = true;
    }
  }

  const copy = opts.mode === 'copy' && aspect === 'source';
  const seekInput = [...userInputOptions(input), '-ss', start.toFixed(3), '-i', input, '-t', duration.toFixed(3)];
  let args: string[];
  if (copy) {
    args = [
      ...seekInput,
      '-map', '0:v:0', '-map', '0:a:0?', '-c', 'copy', '-avoid_negative_ts', 'make_zero', '-movflags', '+faststart',
      videoPath,
    ];
  } else {
    const filters: string[] = [];
    const crop = cropFilter(aspect);
    if (crop) filters.push(crop);
    filters.push(scaleFilter(opts.maxHeight ?? 1920));
    const fonts = fontsDir();
    if (burn) filters.push(`subtitles=burn.srt:fontsdir=${fonts}:force_style='${captionStyle(aspect)}'`);
    if (opts.watermark) {
      filters.push(
        `drawtext=fontfile=${fonts}/DejaVuSans-Bold.ttf:text='Clipforge':fontcolor=white@0.6:fontsize='max(14,h/40)':x=w-tw-h/60:y=h/60`,
      );
    }
    filters.push('format=yuv420p');
    args = [
      ...seekInput,
      '-map', '0:v:0', '-map', '0:a:0?',
      '-vf', filters.join(','),
      '-c:v', 'libx264', '-preset', opts.preset ?? 'veryfast', '-crf', '23',
      '-c:a', 'aac', '-b:a', '128k', '-ac', '2',
      '-movflags', '+faststart',
      videoPath,
    ];
  }
  const r = await run(ffmpegPath(), ['-hide_banner', '-nostdin', '-y', '-v', 'error', ...args], {
    cwd: outDir,
    timeoutMs: opts.timeoutMs ?? 15 * 60_000,
  });
  if (r.code !== 0) throw classifyFailure(input, r.stderr);
  fs.rmSync(path.join(outDir, 'burn.srt'), { force: true });

  const info = await probe(videoPath);
  const t = await run(ffmpegPath(), [
    '-hide_banner', '-nostdin', '-y', '-v', 'error',
    '-ss', Math.min(info.durationSeconds / 2, 3).toFixed(3), '-i', videoPath,
    '-frames:v', '1', '-vf', 'scale=-2:min(ih\\,720)', '-q:v', '4', thumbnailPath,
  ]);
  if (t.code !== 0) throw classifyFailure(videoPath, t.stderr);
  return {
    videoPath,
    ...(srtPath ? { srtPath } : {}),
    ...(vttPath ? { vttPath } : {}),
    thumbnailPath,
    durationSeconds: info.durationSeconds,
  };
}
