import type { Transcript } from '../ai/types.ts';
import { MIN_RANGE_SECONDS, type SourceRange } from '../contracts/jobs.ts';

/**
 * A job's source range ("the 10 minutes around now"): only that part of the source is transcribed,
 * searched for clips and billed. Pure helpers shared by the API (quote, create) and the stages.
 * Stored transcripts and clip times stay in source time; the audio track of a ranged job starts
 * at the range start, so what is derived from it is shifted by the range start.
 */

export interface Span {
  startSeconds: number;
  endSeconds: number;
  /** endSeconds − startSeconds: what is processed and billed. */
  seconds: number;
  /** True when a range narrows the source. */
  partial: boolean;
}

export class RangeOutOfBoundsError extends Error {
  override name = 'RangeOutOfBoundsError';
}

/** The part of a source of `durationSeconds` to work on: the range clamped to it, or all of it. */
export function effectiveSpan(durationSeconds: number, range?: SourceRange | null): Span {
  if (!range) return { startSeconds: 0, endSeconds: durationSeconds, seconds: durationSeconds, partial: false };
  const endSeconds = Math.min(range.endSeconds, durationSeconds);
  if (endSeconds - range.startSeconds < MIN_RANGE_SECONDS) {
    throw new RangeOutOfBoundsError(
      `The range starts at ${range.startSeconds.toFixed(0)} s but the video is ${durationSeconds.toFixed(0)} s long; choose a range inside the video`,
    );
  }
  return { startSeconds: range.startSeconds, endSeconds, seconds: endSeconds - range.startSeconds, partial: true };
}

/** Adds `offset` seconds to every time in a transcript (negative offsets clamp at 0). */
export function shiftTranscript(t: Transcript, offset: number): Transcript {
  if (!offset) return t;
  const at = (s: number) => Math.max(0, s + offset);
  return {
    ...t,
    durationSeconds: Math.max(0, t.durationSeconds + offset),
    segments: t.segments.map((s) => ({ ...s, start: at(s.start), end: at(s.end) })),
    ...(t.words ? { words: t.words.map((w) => ({ ...w, start: at(w.start), end: at(w.end) })) } : {}),
  };
}

/** The segments and words of a transcript that overlap the span, cut to it. */
export function transcriptWithin(t: Transcript, span: Pick<Span, 'startSeconds' | 'endSeconds'>): Transcript {
  const inside = <T extends { start: number; end: number }>(x: T) => x.end > span.startSeconds && x.start < span.endSeconds;
  const cut = <T extends { start: number; end: number }>(x: T): T => ({ ...x, start: Math.max(x.start, span.startSeconds), end: Math.min(x.end, span.endSeconds) });
  return {
    ...t,
    segments: t.segments.filter(inside).map(cut),
    ...(t.words ? { words: t.words.filter(inside).map(cut) } : {}),
  };
}
