/**
 * Sample speech video for tests, the demo and benchmarks: espeak-ng reads a known English script
 * (tests/fixtures/sample-script.txt by default), one sentence at a time with a pause between
 * sentences, over an ffmpeg testsrc2 picture. H.264/AAC MP4; the script loops to fill the length.
 *
 *   npm run sample:video -- --out /tmp/sample.mp4 --seconds 90 [--width 1280 --height 720]
 *                           [--script file.txt] [--subtitles] [--preset veryfast]
 *
 * The returned timeline (which sentence is spoken when) is what the OpenAI test double and the
 * tests check transcripts against. Needs espeak-ng (Debian: apt-get install espeak-ng).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ffmpegPath, run } from '../lib/media/ffmpeg.ts';
import { toSrt } from '../lib/media/captions.ts';

export const SAMPLE_SCRIPT_PATH = fileURLToPath(new URL('../tests/fixtures/sample-script.txt', import.meta.url));
/** Speech sample rate of the generated track (espeak-ng's native rate). */
const RATE = 22050;
/** Silence before the first sentence and between sentences (seconds). */
export const LEAD_IN_SECONDS = 0.5;
export const GAP_SECONDS = 1.0;

export interface TimedSentence {
  start: number;
  end: number;
  text: string;
}

export interface SampleVideo {
  outPath: string;
  durationSeconds: number;
  /** Every sentence spoken, with the time it is spoken (seconds), in order. */
  timeline: TimedSentence[];
}

export interface SampleVideoOptions {
  outPath: string;
  seconds: number;
  width?: number;
  height?: number;
  /** The text to speak; defaults to tests/fixtures/sample-script.txt. */
  script?: string;
  /** Add a mov_text subtitle track with the script's timing (language "eng"). */
  withSubtitleTrack?: boolean;
  /** x264 preset; use "ultrafast" for hour-long benchmark media. */
  preset?: string;
  fps?: number;
}

/** Splits text into sentences on ., ! and ? (one per line in the fixture). */
export function splitSentences(text: string): string[] {
  return text
    .replace(/\s+/g, ' ')
    .split(/(?<=[.!?])\s+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export function readSampleScript(file = SAMPLE_SCRIPT_PATH): string {
  return fs.readFileSync(file, 'utf8');
}

export function espeakAvailable(): boolean {
  try {
    execFileSync('espeak-ng', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function assertEspeak(): void {
  if (!espeakAvailable()) {
    throw new Error('espeak-ng is not installed (needed to generate speech test media): apt-get install espeak-ng');
  }
}

const cacheDir = path.join(os.tmpdir(), 'clipforge-espeak-cache');

/**
 * Speaks one sentence with espeak-ng and trims the silence around it. Returns raw PCM (s16le mono
 * 22.05 kHz) in a cached file and its duration in seconds.
 */
export async function synthesizeSentence(text: string): Promise<{ pcmPath: string; seconds: number }> {
  assertEspeak();
  fs.mkdirSync(cacheDir, { recursive: true });
  const id = createHash('sha256').update(`v1|${text}`).digest('hex').slice(0, 24);
  const pcmPath = path.join(cacheDir, `${id}.pcm`);
  if (!fs.existsSync(pcmPath)) {
    const wav = path.join(cacheDir, `${id}.${process.pid}.wav`);
    execFileSync('espeak-ng', ['-v', 'en-us', '-s', '165', '-w', wav, text], { stdio: 'ignore' });
    const trim = 'silenceremove=start_periods=1:start_threshold=-50dB';
    const tmp = `${pcmPath}.${process.pid}.part`;
    const r = await run(ffmpegPath(), [
      '-hide_banner', '-nostdin', '-y', '-v', 'error', '-i', wav,
      '-af', `${trim},areverse,${trim},areverse`, '-ac', '1', '-ar', String(RATE), '-f', 's16le', tmp,
    ]);
    fs.rmSync(wav, { force: true });
    if (r.code !== 0) throw new Error(`ffmpeg could not trim the speech: ${r.stderr}`);
    fs.renameSync(tmp, pcmPath);
  }
  return { pcmPath, seconds: fs.statSync(pcmPath).size / 2 / RATE };
}

/** How long espeak-ng takes to say each sentence (seconds), in order. */
export async function sentenceDurations(sentences: string[]): Promise<number[]> {
  const out: number[] = [];
  for (const s of sentences) out.push((await synthesizeSentence(s)).seconds);
  return out;
}

/**
 * Writes the speech track (raw PCM) for `seconds`, looping the script; returns the timeline.
 * Streams to disk so an hour of audio never sits in memory.
 */
async function writeSpeechTrack(sentences: string[], seconds: number, pcmOut: string): Promise<TimedSentence[]> {
  const clips = [];
  for (const s of sentences) clips.push({ text: s, ...(await synthesizeSentence(s)) });
  const totalSamples = Math.round(seconds * RATE);
  const fd = fs.openSync(pcmOut, 'w');
  const timeline: TimedSentence[] = [];
  let written = 0;
  const writeSilence = (samples: number) => {
    const n = Math.min(samples, totalSamples - written);
    if (n <= 0) return;
    const chunk = Buffer.alloc(Math.min(n, RATE * 10) * 2);
    let left = n;
    while (left > 0) {
      const k = Math.min(left, chunk.length / 2);
      fs.writeSync(fd, chunk, 0, k * 2);
      left -= k;
    }
    written += n;
  };
  try {
    writeSilence(Math.round(LEAD_IN_SECONDS * RATE));
    for (let i = 0; written < totalSamples; i = (i + 1) % clips.length) {
      const c = clips[i]!;
      const pcm = fs.readFileSync(c.pcmPath);
      const samples = Math.min(pcm.length / 2, totalSamples - written);
      // Only whole sentences go on the timeline; a sentence cut by the end is left out of it.
      if (samples === pcm.length / 2) timeline.push({ start: round3(written / RATE), end: round3((written + samples) / RATE), text: c.text });
      fs.writeSync(fd, pcm, 0, samples * 2);
      written += samples;
      writeSilence(Math.round(GAP_SECONDS * RATE));
    }
  } finally {
    fs.closeSync(fd);
  }
  return timeline;
}

export async function makeSampleVideo(opts: SampleVideoOptions): Promise<SampleVideo> {
  assertEspeak();
  if (!(opts.seconds > 0)) throw new Error('seconds must be positive');
  const sentences = splitSentences(opts.script ?? readSampleScript());
  if (sentences.length === 0) throw new Error('The script has no sentences');
  const width = opts.width ?? 1280;
  const height = opts.height ?? 720;
  const fps = opts.fps ?? 25;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'clipforge-sample-'));
  try {
    const pcm = path.join(work, 'speech.pcm');
    const timeline = await writeSpeechTrack(sentences, opts.seconds, pcm);
    const args = [
      '-hide_banner', '-nostdin', '-y', '-v', 'error',
      '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}`,
      '-f', 's16le', '-ar', String(RATE), '-ac', '1', '-i', pcm,
    ];
    const maps = ['-map', '0:v', '-map', '1:a'];
    if (opts.withSubtitleTrack) {
      const srt = path.join(work, 'captions.srt');
      fs.writeFileSync(srt, toSrt(timeline));
      args.push('-i', srt);
      maps.push('-map', '2:s', '-c:s', 'mov_text', '-metadata:s:s:0', 'language=eng');
    }
    fs.mkdirSync(path.dirname(path.resolve(opts.outPath)), { recursive: true });
    const r = await run(ffmpegPath(), [
      ...args, ...maps,
      '-t', String(opts.seconds),
      '-c:v', 'libx264', '-preset', opts.preset ?? 'veryfast', '-crf', '30', '-pix_fmt', 'yuv420p', '-g', String(fps * 2),
      '-c:a', 'aac', '-b:a', '96k', '-ar', '44100',
      opts.outPath,
    ]);
    if (r.code !== 0) throw new Error(`ffmpeg failed to make the sample video: ${r.stderr}`);
    return { outPath: opts.outPath, durationSeconds: opts.seconds, timeline };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: 'sample.mp4' },
      seconds: { type: 'string', default: '90' },
      width: { type: 'string' },
      height: { type: 'string' },
      script: { type: 'string' },
      subtitles: { type: 'boolean', default: false },
      preset: { type: 'string' },
      timeline: { type: 'string' },
    },
  });
  const started = Date.now();
  const result = await makeSampleVideo({
    outPath: values.out,
    seconds: Number(values.seconds),
    ...(values.width ? { width: Number(values.width) } : {}),
    ...(values.height ? { height: Number(values.height) } : {}),
    ...(values.script ? { script: fs.readFileSync(values.script, 'utf8') } : {}),
    withSubtitleTrack: values.subtitles,
    ...(values.preset ? { preset: values.preset } : {}),
  });
  if (values.timeline) fs.writeFileSync(values.timeline, JSON.stringify(result.timeline, null, 2));
  console.log(
    `${result.outPath}: ${result.durationSeconds} s, ${result.timeline.length} sentences, ${fs.statSync(result.outPath).size} bytes, made in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
