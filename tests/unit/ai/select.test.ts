import { describe, expect, it } from '@jest/globals';
import {
  buildMessages,
  heuristicClips,
  selectClips,
  snapToSentences,
  speechRegions,
  titleFrom,
  toSentences,
  type SelectOptions,
} from '../../../lib/ai/select.ts';
import { clipCandidateSchema, type Transcript } from '../../../lib/ai/types.ts';

/** A transcript of n sentences of ~4 s with 1 s pauses, like the generated sample video. */
function speech(n: number): Transcript {
  const texts = [
    'Welcome to the show.',
    'Today we talk about how clips are made from long videos.',
    'Why does sentence alignment matter so much?',
    'Because a cut in the middle of a word feels broken.',
    'The next part explains the whole pipeline step by step.',
    'Thanks for watching!',
  ];
  const segments = [];
  let t = 0.5;
  for (let i = 0; i < n; i++) {
    const text = texts[i % texts.length]!;
    const d = 1 + text.length * 0.06;
    segments.push({ start: Math.round(t * 1000) / 1000, end: Math.round((t + d) * 1000) / 1000, text });
    t += d + 1;
  }
  return { language: 'en', durationSeconds: Math.ceil(t), source: 'whisper', segments };
}

const base = (t: Transcript): SelectOptions => ({ clipCount: 3, minSeconds: 8, maxSeconds: 20, durationSeconds: t.durationSeconds, client: null });

describe('toSentences', () => {
  it('joins caption lines that break mid-sentence and splits segments holding several sentences', () => {
    const t: Transcript = {
      durationSeconds: 20,
      source: 'captions',
      segments: [
        { start: 0, end: 2, text: 'This caption line' },
        { start: 2, end: 4, text: 'ends here.' },
        { start: 5, end: 9, text: 'One. Two is longer!' },
      ],
    };
    const s = toSentences(t);
    expect(s.map((x) => x.text)).toEqual(['This caption line ends here.', 'One.', 'Two is longer!']);
    expect(s[0]).toMatchObject({ start: 0, end: 4 });
    expect(s[1]!.start).toBe(5);
    expect(s[2]!.end).toBe(9);
    expect(s[1]!.end).toBeCloseTo(s[2]!.start, 3);
  });
  it('does not grow a sentence past maxSeconds', () => {
    const t: Transcript = {
      durationSeconds: 40,
      source: 'captions',
      segments: [
        { start: 0, end: 10, text: 'no punctuation here' },
        { start: 10, end: 20, text: 'still none' },
        { start: 20, end: 30, text: 'and more' },
      ],
    };
    expect(toSentences(t, 15).length).toBe(3);
  });
});

describe('heuristicClips (transcript)', () => {
  const t = speech(18);
  const clips = heuristicClips(t, base(t));
  const starts = new Set(t.segments.map((s) => s.start));
  const ends = new Set(t.segments.map((s) => s.end));

  it('returns the asked number of valid, non-overlapping clips within the length limits', () => {
    expect(clips).toHaveLength(3);
    for (const c of clips) {
      expect(clipCandidateSchema.parse(c)).toEqual(c);
      expect(c.end - c.start).toBeGreaterThanOrEqual(8);
      expect(c.end - c.start).toBeLessThanOrEqual(20);
    }
    const sorted = [...clips].sort((a, b) => a.start - b.start);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]!.start).toBeGreaterThanOrEqual(sorted[i - 1]!.end);
  });
  it('starts and ends every clip on sentence boundaries, with its transcript and a title', () => {
    for (const c of clips) {
      expect(starts.has(c.start)).toBe(true);
      expect(ends.has(c.end)).toBe(true);
      expect(c.transcript.length).toBeGreaterThan(10);
      expect(c.title.length).toBeGreaterThan(3);
      expect(c.score).toBeGreaterThan(0);
    }
  });
  it('is deterministic and ranked best first', () => {
    expect(heuristicClips(t, base(t))).toEqual(clips);
    for (let i = 1; i < clips.length; i++) expect(clips[i]!.score).toBeLessThanOrEqual(clips[i - 1]!.score);
  });
  it('returns the whole video when it is shorter than the minimum', () => {
    const short = speech(2);
    const [only, ...rest] = heuristicClips(short, { ...base(short), minSeconds: 30, maxSeconds: 60 });
    expect(rest).toEqual([]);
    expect(only).toMatchObject({ start: 0, end: short.durationSeconds });
  });
});

describe('heuristicClips (no transcript)', () => {
  const silences = [
    { start: 0, end: 1 },
    { start: 6, end: 7 },
    { start: 14, end: 15.5 },
    { start: 22, end: 23 },
    { start: 31, end: 32 },
    { start: 40, end: 41 },
    { start: 50, end: 60 },
  ];
  const empty: Transcript = { durationSeconds: 60, source: 'none', segments: [] };
  const clips = heuristicClips(empty, { clipCount: 2, minSeconds: 8, maxSeconds: 20, durationSeconds: 60, silences });

  it('cuts on speech/silence boundaries and says why there is no transcript', () => {
    expect(clips).toHaveLength(2);
    const regions = speechRegions(silences, 60);
    const bounds = new Set(regions.flatMap((r) => [Math.max(0, r.start - 0.2), Math.min(60, r.end + 0.2)]).map((x) => Math.round(x * 1000) / 1000));
    bounds.add(0).add(60);
    for (const c of clips) {
      expect(bounds.has(c.start)).toBe(true);
      expect(bounds.has(c.end)).toBe(true);
      expect(c.transcript).toBe('');
      expect(c.reason).toMatch(/OPENAI_API_KEY/);
      expect(c.end - c.start).toBeGreaterThanOrEqual(8);
      expect(c.end - c.start).toBeLessThanOrEqual(20);
    }
  });
  it('prefers windows full of speech over the silent tail', () => {
    for (const c of clips) expect(c.end).toBeLessThanOrEqual(50.2);
  });
  it('still returns clips when there are no pauses at all', () => {
    const none = heuristicClips(empty, { clipCount: 3, minSeconds: 10, maxSeconds: 15, durationSeconds: 60, silences: [] });
    expect(none.length).toBeGreaterThan(0);
    for (const c of none) expect(c.end - c.start).toBeLessThanOrEqual(15);
  });
});

describe('speechRegions', () => {
  it('is the complement of the silences', () => {
    expect(speechRegions([{ start: 0, end: 1 }, { start: 5, end: 6 }], 10)).toEqual([
      { start: 1, end: 5 },
      { start: 6, end: 10 },
    ]);
    expect(speechRegions([], 4)).toEqual([{ start: 0, end: 4 }]);
  });
});

describe('snapToSentences', () => {
  const sentences = [
    { start: 0, end: 4, text: 'a.' },
    { start: 5, end: 9, text: 'b.' },
    { start: 10, end: 14, text: 'c.' },
    { start: 15, end: 30, text: 'd.' },
  ];
  it('moves model times onto the nearest sentence boundaries', () => {
    expect(snapToSentences({ start: 4.7, end: 13.2 }, sentences, 5, 20)).toMatchObject({ start: 5, end: 14, i: 1, j: 2 });
  });
  it('grows a too-short clip by whole sentences and shrinks a too-long one', () => {
    expect(snapToSentences({ start: 5, end: 9 }, sentences, 8, 20)).toMatchObject({ start: 5, end: 14 });
    expect(snapToSentences({ start: 0, end: 30 }, sentences, 5, 15)).toMatchObject({ start: 0, end: 14 });
  });
  it('gives up when no sentence-aligned clip fits', () => {
    expect(snapToSentences({ start: 15, end: 30 }, sentences, 1, 10)).toBeUndefined();
  });
});

describe('selectClips without a model', () => {
  it('uses the heuristic and says why', async () => {
    const t = speech(12);
    const result = await selectClips(t, base(t));
    expect(result.selector).toBe('heuristic');
    expect(result.fallbackReason).toBeDefined();
    expect(result.clips).toEqual(heuristicClips(t, base(t)));
  });
  it('rejects impossible options', async () => {
    const t = speech(3);
    await expect(selectClips(t, { ...base(t), minSeconds: 30, maxSeconds: 10 })).rejects.toThrow(RangeError);
  });
});

describe('buildMessages and titleFrom', () => {
  it('puts the constraints and timed lines in the prompt', () => {
    const t = speech(4);
    const [, user] = buildMessages(toSentences(t), { ...base(t), prompt: 'funny bits' });
    expect(user!.content).toContain('Return exactly 3 clips.');
    expect(user!.content).toContain('between 8 and 20 seconds');
    expect(user!.content).toContain('funny bits');
    expect(user!.content).toMatch(/^\[0\.50-\d+\.\d\d\] Welcome to the show\.$/m);
  });
  it('makes short titles', () => {
    expect(titleFrom('why does sentence alignment matter so much to all of us?')).toBe('Why does sentence alignment matter so much to');
    expect(titleFrom('Hi!')).toBe('Hi');
  });
});
