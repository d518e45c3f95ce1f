import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type OpenAI from 'openai';
import { z } from 'zod';
import { ffmpegPath, probe, run, classifyFailure, SPEECH_AUDIO, userInputOptions } from '../media/ffmpeg.ts';
import { aiSettings, openaiClient } from './openai.ts';
import type { Transcript, TranscriptSegment, TranscriptWord } from './types.ts';

/**
 * Speech to text with OpenAI's transcription API (verbose_json, segment + word timestamps).
 * The API takes files up to 25 MB, so longer audio is cut into overlapping chunks (re-encoded for exact cut times); each chunk's
 * timestamps are shifted to source time and the overlaps are resolved by a cut in the middle of
 * each overlap, so every word appears once.
 */

/** Stay safely under the API's 25 MB upload limit. */
export const MAX_UPLOAD_BYTES = 24 * 1000 * 1000;

export function transcriptionAvailable(): boolean {
  return Boolean(aiSettings().OPENAI_API_KEY);
}

export interface TranscribeOptions {
  language?: string;
  /** Defaults to the configured client (OPENAI_API_KEY / OPENAI_BASE_URL). */
  client?: OpenAI;
  /** Defaults to OPENAI_TRANSCRIBE_MODEL. */
  model?: string;
  /** Largest chunk to upload (bytes; default OPENAI_TRANSCRIBE_CHUNK_BYTES, else 24 MB); tests lower it to force chunks. */
  maxChunkBytes?: number;
  /** Seconds each chunk overlaps the next (default 10; at most a third of a chunk). */
  overlapSeconds?: number;
  /** Where the chunk files go (default: a fresh temp dir, removed afterwards). */
  workDir?: string;
}

export interface ChunkPlan {
  start: number;
  end: number;
}

/** Splits [0, duration] into windows of at most chunkSeconds, each overlapping the next by overlap. */
export function planChunks(durationSeconds: number, chunkSeconds: number, overlapSeconds: number): ChunkPlan[] {
  if (!(chunkSeconds > 0)) throw new RangeError('chunkSeconds must be positive');
  const overlap = Math.min(Math.max(0, overlapSeconds), chunkSeconds / 3);
  if (durationSeconds <= chunkSeconds) return [{ start: 0, end: durationSeconds }];
  const chunks: ChunkPlan[] = [];
  let start = 0;
  for (;;) {
    const end = Math.min(durationSeconds, start + chunkSeconds);
    chunks.push({ start: round3(start), end: round3(end) });
    if (end >= durationSeconds) break;
    start = end - overlap;
  }
  return chunks;
}

export interface ChunkResult {
  /** The chunk's window in source time. */
  start: number;
  end: number;
  /** Timestamps relative to the chunk's start, as the API returns them. */
  segments: TranscriptSegment[];
  words?: TranscriptWord[];
}

function normalizeText(t: string): string {
  return t.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

/** Items closer than this to a chunk's inner edge may have been cut off by it. */
const EDGE_SECONDS = 0.3;
/** Two timings of the same speech differ by less than this. */
const OVERLAP_TOLERANCE = 0.25;

function tokens(t: string): string[] {
  return t.trim().split(/\s+/).filter(Boolean);
}

/** Joins two texts whose ends overlap ("a b c" + "b c d" → "a b c d"). */
export function joinOverlappingText(a: string, b: string): string {
  const ta = tokens(a);
  const tb = tokens(b);
  const na = ta.map(normalizeText);
  const nb = tb.map(normalizeText);
  for (let k = Math.min(ta.length, tb.length); k > 0; k--) {
    if (na.slice(-k).join(' ') === nb.slice(0, k).join(' ')) return [...ta, ...tb.slice(k)].join(' ');
  }
  return [...ta, ...tb].join(' ');
}

/**
 * Merges per-chunk results into one timeline (source time), chunk by chunk in order:
 * - a segment at the start of a chunk that the previous chunk heard whole is skipped;
 * - a segment that overlaps one already kept is the same speech heard twice: it is skipped,
 *   unless the kept one ran into the previous chunk's end (cut off) — then the new, whole version
 *   replaces it, or, when both are cut (a sentence longer than the overlap), the two are stitched;
 * - words follow the segments: each chunk's words are used from the time its first segment was
 *   taken up to the time the next chunk's first segment was taken, so every word comes once.
 * Matching by time overlap (not by a fixed cut point) tolerates the small timing differences
 * between two transcriptions of the same speech.
 */
export function mergeChunks(chunks: ChunkResult[]): { segments: TranscriptSegment[]; words: TranscriptWord[] } {
  const sorted = [...chunks].sort((a, b) => a.start - b.start);
  const segments: TranscriptSegment[] = [];
  /** Source time from which chunk i's words are used. */
  const takeWordsFrom: number[] = sorted.map(() => Number.NEGATIVE_INFINITY);
  sorted.forEach((chunk, i) => {
    const prev = sorted[i - 1];
    let switched = i === 0;
    const switchAt = (t: number) => {
      if (!switched) takeWordsFrom[i] = t;
      switched = true;
    };
    for (const s of chunk.segments) {
      const start = chunk.start + s.start;
      const end = Math.min(chunk.end, chunk.start + s.end);
      const text = s.text.trim();
      if (!text || end <= start) continue;
      const cutAtStart = prev !== undefined && start - chunk.start < EDGE_SECONDS;
      if (cutAtStart && prev.end - end >= EDGE_SECONDS) continue;
      // The kept segment this one overlaps most (if by more than timing noise).
      let same: TranscriptSegment | undefined;
      let most = Math.min(OVERLAP_TOLERANCE, (end - start) / 2);
      for (let k = segments.length - 1; k >= 0 && segments[k]!.end > start; k--) {
        const overlap = Math.min(end, segments[k]!.end) - Math.max(start, segments[k]!.start);
        if (overlap > most) {
          most = overlap;
          same = segments[k];
        }
      }
      if (!same) {
        const last = segments.at(-1);
        const from = last ? Math.max(start, last.end) : start;
        switchAt(from);
        segments.push({ start: round3(from), end: round3(end), text });
        continue;
      }
      const sameWasCut = prev !== undefined && same === segments.at(-1) && same.end >= prev.end - EDGE_SECONDS;
      if (!sameWasCut) continue;
      if (cutAtStart) {
        switchAt((prev.end + chunk.start) / 2);
        same.text = joinOverlappingText(same.text, text);
        same.end = round3(Math.max(same.end, end));
      } else {
        switchAt(Math.min(same.start, start) - 0.01);
        same.start = round3(Math.min(same.start, start));
        same.end = round3(end);
        same.text = text;
      }
    }
    if (!switched && prev) takeWordsFrom[i] = prev.end;
  });
  const words: TranscriptWord[] = [];
  sorted.forEach((chunk, i) => {
    const from = takeWordsFrom[i]!;
    const until = takeWordsFrom[i + 1] ?? Number.POSITIVE_INFINITY;
    for (const w of chunk.words ?? []) {
      const start = chunk.start + w.start;
      const end = Math.min(chunk.end, chunk.start + w.end);
      if (start < from || start >= until) continue;
      const last = words.at(-1);
      if (last && start < last.end - 0.05 && normalizeText(last.word) === normalizeText(w.word)) continue;
      const at = last ? Math.max(start, last.end) : start;
      words.push({ start: round3(at), end: round3(Math.max(at, end)), word: w.word.trim() });
    }
  });
  return { segments, words };
}

const verboseSchema = z.object({
  language: z.string().optional(),
  duration: z.coerce.number().optional(),
  text: z.string().default(''),
  segments: z.array(z.object({ start: z.number(), end: z.number(), text: z.string() })).optional(),
  words: z.array(z.object({ start: z.number(), end: z.number(), word: z.string() })).optional(),
});

async function cutChunk(audioPath: string, chunk: ChunkPlan, outPath: string): Promise<number> {
  const r = await run(ffmpegPath(), [
    '-hide_banner', '-nostdin', '-y', '-v', 'error',
    ...userInputOptions(audioPath), '-ss', chunk.start.toFixed(3), '-i', audioPath, '-t', (chunk.end - chunk.start).toFixed(3),
    // Re-encoded, not stream-copied: MP3 copy cuts land on frame/seek-index estimates (off by up
    // to a few hundred ms deep into a file), which would skew every timestamp of the chunk.
    '-map', '0:a:0', '-ac', '1', '-ar', String(SPEECH_AUDIO.sampleRate), '-c:a', 'libmp3lame', '-b:a', `${SPEECH_AUDIO.bitrateKbps}k`,
    outPath,
  ]);
  if (r.code !== 0) throw classifyFailure(audioPath, r.stderr);
  return fs.statSync(outPath).size;
}

/** Transcribes an audio file (MP3 from extractAudio); chunks it when it exceeds the upload limit. */
export async function transcribe(audioPath: string, opts: TranscribeOptions = {}): Promise<Transcript> {
  const client = opts.client ?? openaiClient();
  if (!client) throw new Error('No transcription provider: OPENAI_API_KEY is not set');
  const settings = aiSettings();
  const model = opts.model ?? settings.OPENAI_TRANSCRIBE_MODEL;
  const maxBytes = Math.min(opts.maxChunkBytes ?? settings.OPENAI_TRANSCRIBE_CHUNK_BYTES ?? MAX_UPLOAD_BYTES, MAX_UPLOAD_BYTES);
  const overlap = opts.overlapSeconds ?? 10;
  const { durationSeconds } = await probe(audioPath, { requireVideo: false });
  const size = fs.statSync(audioPath).size;

  const workDir = opts.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'clipforge-chunks-'));
  const ownDir = !opts.workDir;
  try {
    let files: { plan: ChunkPlan; file: string }[] = [];
    if (size <= maxBytes) {
      files = [{ plan: { start: 0, end: durationSeconds }, file: audioPath }];
    } else {
      // Chunks are re-encoded at the speech bitrate, which fixes their size per second; shrink and
      // re-cut if one still comes out too big (container overhead).
      let chunkSeconds = Math.max(5, Math.floor(((maxBytes * 8) / (SPEECH_AUDIO.bitrateKbps * 1000)) * 0.95));
      for (let attempt = 0; ; attempt++) {
        const plans = planChunks(durationSeconds, chunkSeconds, overlap);
        files = [];
        let tooBig = false;
        for (const [i, plan] of plans.entries()) {
          const file = path.join(workDir, `chunk-${String(i).padStart(4, '0')}.mp3`);
          if ((await cutChunk(audioPath, plan, file)) > maxBytes) {
            tooBig = true;
            break;
          }
          files.push({ plan, file });
        }
        if (!tooBig) break;
        if (attempt >= 4) throw new Error('Could not cut the audio into chunks under the upload limit');
        chunkSeconds = Math.floor(chunkSeconds * 0.8);
      }
    }

    const results: ChunkResult[] = [];
    let language = opts.language;
    for (const { plan, file } of files) {
      const response = await client.audio.transcriptions.create({
        file: fs.createReadStream(file),
        model,
        response_format: 'verbose_json',
        timestamp_granularities: ['segment', 'word'],
        ...(language ? { language } : {}),
      });
      const parsed = verboseSchema.parse(response);
      // Keep later chunks in the language the first one detected.
      language ??= parsed.language ? languageCode(parsed.language) : undefined;
      results.push({
        start: plan.start,
        end: plan.end,
        segments: parsed.segments ?? (parsed.text.trim() ? [{ start: 0, end: plan.end - plan.start, text: parsed.text }] : []),
        ...(parsed.words ? { words: parsed.words } : {}),
      });
    }
    const merged = mergeChunks(results);
    return {
      ...(language ? { language } : {}),
      durationSeconds,
      source: 'whisper',
      segments: merged.segments,
      ...(merged.words.length ? { words: merged.words } : {}),
    };
  } finally {
    if (ownDir) fs.rmSync(workDir, { recursive: true, force: true });
  }
}

/** Whisper's verbose_json names the language ("english"); the request takes ISO-639-1 ("en"). */
const LANGUAGE_CODES: Record<string, string> = {
  english: 'en', french: 'fr', german: 'de', spanish: 'es', italian: 'it', portuguese: 'pt', dutch: 'nl',
  russian: 'ru', polish: 'pl', turkish: 'tr', japanese: 'ja', chinese: 'zh', korean: 'ko', arabic: 'ar',
  hindi: 'hi', swedish: 'sv', norwegian: 'no', danish: 'da', finnish: 'fi', czech: 'cs', ukrainian: 'uk',
  greek: 'el', hebrew: 'he', indonesian: 'id', vietnamese: 'vi', thai: 'th', romanian: 'ro', hungarian: 'hu',
};

export function languageCode(language: string): string | undefined {
  const l = language.trim().toLowerCase();
  if (/^[a-z]{2}$/.test(l)) return l;
  return LANGUAGE_CODES[l];
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
