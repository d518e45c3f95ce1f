import { describe, expect, it } from '@jest/globals';
import { joinOverlappingText, languageCode, mergeChunks, planChunks, type ChunkResult } from '../../../lib/ai/transcribe.ts';

describe('planChunks', () => {
  it('keeps short audio in one chunk', () => {
    expect(planChunks(50, 60, 5)).toEqual([{ start: 0, end: 50 }]);
  });
  it('covers the whole audio with windows that overlap by the given seconds', () => {
    const chunks = planChunks(100, 30, 5);
    expect(chunks).toEqual([
      { start: 0, end: 30 },
      { start: 25, end: 55 },
      { start: 50, end: 80 },
      { start: 75, end: 100 },
    ]);
    for (const c of chunks) expect(c.end - c.start).toBeLessThanOrEqual(30);
  });
  it('never lets the overlap eat the chunk (caps it to a third)', () => {
    const chunks = planChunks(40, 9, 20);
    expect(chunks[1]!.start).toBe(6);
    expect(chunks.at(-1)!.end).toBe(40);
  });
  it('rejects a zero chunk length', () => {
    expect(() => planChunks(10, 0, 1)).toThrow(RangeError);
  });
});

/** Builds what the API would return for a chunk window of a known timeline (times relative to the chunk). */
function chunkOf(timeline: { start: number; end: number; text: string }[], start: number, end: number): ChunkResult {
  const segments = timeline
    .filter((s) => s.end > start && s.start < end)
    .map((s) => {
      const words = s.text.split(' ');
      const a = Math.max(s.start, start);
      const b = Math.min(s.end, end);
      const frac = (b - a) / (s.end - s.start);
      const keep = Math.max(1, Math.round(words.length * frac));
      // A sentence cut by the window keeps the words heard inside it.
      const text = s.start < start ? words.slice(-keep).join(' ') : s.end > end ? words.slice(0, keep).join(' ') : s.text;
      return { start: a - start, end: b - start, text };
    });
  const words = segments.flatMap((seg) => {
    const ws = seg.text.split(' ');
    const d = (seg.end - seg.start) / ws.length;
    return ws.map((word, i) => ({ word, start: seg.start + i * d, end: seg.start + (i + 1) * d }));
  });
  return { start, end, segments, words };
}

const timeline = [
  { start: 0.5, end: 3, text: 'one two three four five' },
  { start: 4, end: 7, text: 'six seven eight nine ten' },
  { start: 8, end: 11.5, text: 'eleven twelve thirteen fourteen' },
  { start: 12.5, end: 15, text: 'fifteen sixteen seventeen' },
  { start: 16, end: 19.5, text: 'eighteen nineteen twenty twentyone' },
  { start: 20.5, end: 23, text: 'twentytwo twentythree' },
];

describe('mergeChunks', () => {
  it('returns a single chunk unchanged', () => {
    const merged = mergeChunks([chunkOf(timeline, 0, 24)]);
    expect(merged.segments.map((s) => s.text)).toEqual(timeline.map((s) => s.text));
  });

  it('merges overlapping chunks into the original timeline, each sentence once, in source time', () => {
    const chunks = planChunks(24, 9, 3).map((p) => chunkOf(timeline, p.start, p.end));
    expect(chunks.length).toBeGreaterThan(2);
    const merged = mergeChunks(chunks);
    expect(merged.segments.map((s) => s.text)).toEqual(timeline.map((s) => s.text));
    merged.segments.forEach((s, i) => {
      expect(s.start).toBeCloseTo(timeline[i]!.start, 2);
      expect(s.end).toBeCloseTo(timeline[i]!.end, 2);
    });
    // Every word exactly once and in order, with non-decreasing times.
    expect(merged.words.map((w) => w.word).join(' ')).toBe(timeline.map((s) => s.text).join(' '));
    for (let i = 1; i < merged.words.length; i++) expect(merged.words[i]!.start).toBeGreaterThanOrEqual(merged.words[i - 1]!.end);
  });

  it('stitches a sentence longer than the overlap that both chunks saw only in part', () => {
    const long = [{ start: 2, end: 14, text: 'a b c d e f g h i j k l' }];
    const merged = mergeChunks([chunkOf(long, 0, 10), chunkOf(long, 6, 16)]);
    expect(merged.segments).toHaveLength(1);
    expect(merged.segments[0]).toMatchObject({ start: 2, end: 14, text: 'a b c d e f g h i j k l' });
  });

  it('keeps a sentence in the overlap exactly once even when the two timings differ slightly', () => {
    // The same sentence, straddling the middle of the overlap [12, 18], seen 20 ms apart.
    const a: ChunkResult = { start: 0, end: 18, segments: [{ start: 8.73, end: 13.03, text: 'First.' }, { start: 14.03, end: 16, text: 'Then it extracts the sound track.' }, { start: 17, end: 18, text: 'The speech is' }] };
    const b: ChunkResult = { start: 12, end: 30, segments: [{ start: 0, end: 1.01, text: 'First.' }, { start: 2.01, end: 3.97, text: 'Then it extracts the sound track.' }, { start: 4.98, end: 9.45, text: 'The speech is turned into text.' }] };
    const merged = mergeChunks([a, b]);
    expect(merged.segments.map((s) => s.text)).toEqual(['First.', 'Then it extracts the sound track.', 'The speech is turned into text.']);
    expect(merged.segments[1]).toMatchObject({ start: 14.03, end: 16 });
    expect(merged.segments[2]).toMatchObject({ start: 16.98, end: 21.45 });
  });

  it('accepts chunks out of order', () => {
    const chunks = planChunks(24, 9, 3).map((p) => chunkOf(timeline, p.start, p.end)).reverse();
    expect(mergeChunks(chunks).segments).toHaveLength(timeline.length);
  });
});

describe('joinOverlappingText', () => {
  it('drops the repeated words at the seam', () => {
    expect(joinOverlappingText('the quick brown fox', 'Brown fox jumps over')).toBe('the quick brown fox jumps over');
    expect(joinOverlappingText('hello', 'world')).toBe('hello world');
  });
});

describe('languageCode', () => {
  it('maps Whisper language names to ISO codes', () => {
    expect(languageCode('english')).toBe('en');
    expect(languageCode('French')).toBe('fr');
    expect(languageCode('de')).toBe('de');
    expect(languageCode('klingon')).toBeUndefined();
  });
});
