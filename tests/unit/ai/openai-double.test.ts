import { describe, expect, it } from '@jest/globals';
import { alignToScript, chooseClips, layoutWords, parseMultipart } from '../../../dev/doubles/openai.ts';

/** The pure parts of the OpenAI test double: if these are wrong, every test using it lies. */
const sentences = ['One two three.', 'A much longer second sentence here.', 'Short.', 'The fourth one ends the script.'];
const expected = [1.5, 3.5, 0.8, 2.6];

/** Speech stretches of the script looped from `first`, with 1 s pauses, starting at t. */
function stretches(first: number, count: number, t0: number) {
  const out = [];
  let t = t0;
  for (let k = 0; k < count; k++) {
    const d = expected[(first + k) % sentences.length]!;
    out.push({ start: t, end: t + d });
    t += d + 1;
  }
  return out;
}

describe('alignToScript', () => {
  it('labels stretches from the start of the script', () => {
    const regions = stretches(0, 6, 0.5);
    const spoken = alignToScript(regions, 30, sentences, expected);
    expect(spoken.map((s) => s.text)).toEqual([...sentences, sentences[0], sentences[1]]);
  });

  it('finds the right sentence for audio cut from the middle (by spoken lengths)', () => {
    const regions = stretches(2, 5, 0.3);
    expect(alignToScript(regions, 30, sentences, expected).map((s) => s.text)).toEqual([
      sentences[2],
      sentences[3],
      sentences[0],
      sentences[1],
      sentences[2],
    ]);
  });

  it('keeps only the heard words of sentences cut by the edges', () => {
    // The audio starts in the middle of sentence 1 and ends in the middle of sentence 3.
    const regions = [{ start: 0, end: 1.75 }, ...stretches(2, 1, 2.75), { start: 4.55, end: 5.85 }];
    const spoken = alignToScript(regions, 5.85, sentences, expected);
    expect(spoken).toHaveLength(3);
    expect(sentences[1]!.endsWith(spoken[0]!.text)).toBe(true);
    expect(spoken[0]!.text.split(' ').length).toBeLessThan(sentences[1]!.split(' ').length);
    expect(spoken[1]!.text).toBe('Short.');
    expect(sentences[3]!.startsWith(spoken[2]!.text)).toBe(true);
    expect(spoken[2]!.words.every((w) => w.end <= 5.85)).toBe(true);
  });

  it('returns nothing for silence', () => {
    expect(alignToScript([], 10, sentences, expected)).toEqual([]);
  });
});

describe('layoutWords', () => {
  it('spreads words over the sentence by length and drops those outside the audio', () => {
    const all = layoutWords('aa bbbb c', 1, 3, 100);
    expect(all.map((w) => w.word)).toEqual(['aa', 'bbbb', 'c']);
    expect(all[0]!.start).toBe(1);
    expect(all.at(-1)!.end).toBe(4);
    expect(layoutWords('aa bbbb c', 1, 3, 2).map((w) => w.word)).toEqual(['aa']);
  });
});

describe('chooseClips', () => {
  const lines = [
    { start: 0, end: 4, text: 'Hello.' },
    { start: 5, end: 9, text: 'Why is this?' },
    { start: 10, end: 14, text: 'Because.' },
    { start: 15, end: 19, text: 'More text.' },
    { start: 20, end: 24, text: 'End!' },
  ];
  it('returns non-overlapping windows of whole lines within the limits', () => {
    const clips = chooseClips(lines, 2, 8, 10);
    expect(clips).toHaveLength(2);
    const starts = new Set(lines.map((l) => l.start));
    const ends = new Set(lines.map((l) => l.end));
    for (const c of clips) {
      expect(starts.has(c.start) && ends.has(c.end)).toBe(true);
      expect(c.end - c.start).toBeGreaterThanOrEqual(8);
      expect(c.end - c.start).toBeLessThanOrEqual(10);
    }
    expect(clips[0]!.start < clips[1]!.end && clips[1]!.start < clips[0]!.end).toBe(false);
  });
});

describe('parseMultipart', () => {
  it('reads fields, repeated fields and files', () => {
    const b = 'XyZ';
    const body = Buffer.concat([
      Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n`),
      Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="file"; filename="a.mp3"\r\nContent-Type: audio/mpeg\r\n\r\n`),
      Buffer.from([0, 1, 2, 13, 10, 255]),
      Buffer.from(`\r\n--${b}\r\nContent-Disposition: form-data; name="timestamp_granularities[]"\r\n\r\nword\r\n--${b}--\r\n`),
    ]);
    const parts = parseMultipart(body, `multipart/form-data; boundary=${b}`);
    expect(parts.map((p) => p.name)).toEqual(['model', 'file', 'timestamp_granularities[]']);
    expect(parts[0]!.data.toString()).toBe('whisper-1');
    expect(parts[1]).toMatchObject({ filename: 'a.mp3', contentType: 'audio/mpeg' });
    expect([...parts[1]!.data]).toEqual([0, 1, 2, 13, 10, 255]);
    expect(parts[2]!.data.toString()).toBe('word');
  });
});
