import { describe, it, expect } from '@jest/globals';
import { effectiveSpan, RangeOutOfBoundsError, shiftTranscript, transcriptWithin } from '../../../lib/jobs/range.ts';
import { createJobBodySchema, quoteBodySchema } from '../../../lib/contracts/jobs.ts';
import type { Transcript } from '../../../lib/ai/types.ts';

const transcript: Transcript = {
  durationSeconds: 100,
  source: 'whisper',
  segments: [
    { start: 0, end: 10, text: 'a' },
    { start: 10, end: 30, text: 'b' },
    { start: 30, end: 60, text: 'c' },
  ],
  words: [
    { start: 9, end: 11, word: 'x' },
    { start: 40, end: 41, word: 'y' },
  ],
};

describe('source ranges', () => {
  it('the whole source when there is no range', () => {
    expect(effectiveSpan(120)).toEqual({ startSeconds: 0, endSeconds: 120, seconds: 120, partial: false });
  });

  it('clamps the end to the source and refuses a range outside it', () => {
    expect(effectiveSpan(600, { startSeconds: 480, endSeconds: 1080 })).toEqual({ startSeconds: 480, endSeconds: 600, seconds: 120, partial: true });
    expect(() => effectiveSpan(600, { startSeconds: 598, endSeconds: 700 })).toThrow(RangeOutOfBoundsError);
    expect(() => effectiveSpan(600, { startSeconds: 900, endSeconds: 1000 })).toThrow(/choose a range inside the video/);
  });

  it('the API contract refuses short, reversed and negative ranges', () => {
    const base = { url: 'https://media.example.com/v.mp4' };
    expect(quoteBodySchema.safeParse({ ...base, range: { startSeconds: 10, endSeconds: 12 } }).success).toBe(false);
    expect(quoteBodySchema.safeParse({ ...base, range: { startSeconds: 20, endSeconds: 10 } }).success).toBe(false);
    expect(quoteBodySchema.safeParse({ ...base, range: { startSeconds: -1, endSeconds: 10 } }).success).toBe(false);
    expect(createJobBodySchema.parse({ ...base, range: { startSeconds: 300, endSeconds: 900 } }).range).toEqual({ startSeconds: 300, endSeconds: 900 });
  });

  it('shifts every time of a transcript, clamping at zero', () => {
    const later = shiftTranscript(transcript, 1000);
    expect(later.segments.map((s) => [s.start, s.end])).toEqual([[1000, 1010], [1010, 1030], [1030, 1060]]);
    expect(later.words?.[1]).toEqual({ start: 1040, end: 1041, word: 'y' });
    expect(shiftTranscript(transcript, -20).segments[0]).toEqual({ start: 0, end: 0, text: 'a' });
    expect(shiftTranscript(transcript, 0)).toBe(transcript);
  });

  it('keeps the parts of a transcript inside a span, cut to it', () => {
    const inside = transcriptWithin(transcript, { startSeconds: 5, endSeconds: 35 });
    expect(inside.segments).toEqual([
      { start: 5, end: 10, text: 'a' },
      { start: 10, end: 30, text: 'b' },
      { start: 30, end: 35, text: 'c' },
    ]);
    expect(inside.words).toEqual([{ start: 9, end: 11, word: 'x' }]);
  });
});
