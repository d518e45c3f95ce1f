import { describe, expect, it } from '@jest/globals';
import {
  formatTimestamp,
  parseSubtitles,
  parseTimestamp,
  sliceTranscript,
  textBetween,
  toCaptionCues,
  toSrt,
  toVtt,
} from '../../../lib/media/captions.ts';
import { parseSilenceLines } from '../../../lib/media/ffmpeg.ts';
import type { Transcript } from '../../../lib/ai/types.ts';
import { transcriptSchema } from '../../../lib/ai/types.ts';

const transcript: Transcript = {
  language: 'en',
  durationSeconds: 30,
  source: 'whisper',
  segments: [
    { start: 0.5, end: 3.2, text: 'Hello there.' },
    { start: 4, end: 9.5, text: 'This sentence crosses the clip start.' },
    { start: 10, end: 14.25, text: 'Fully inside the clip.' },
    { start: 14.5, end: 21, text: 'This one crosses the end.' },
    { start: 22, end: 25, text: 'After the clip.' },
  ],
  words: [
    { start: 0.5, end: 1.2, word: 'Hello' },
    { start: 10, end: 10.6, word: 'Fully' },
    { start: 20.5, end: 21, word: 'end' },
  ],
};

describe('timestamps', () => {
  it('formats SRT and VTT times', () => {
    expect(formatTimestamp(0)).toBe('00:00:00,000');
    expect(formatTimestamp(3723.5)).toBe('01:02:03,500');
    expect(formatTimestamp(59.9996, '.')).toBe('00:01:00.000');
    expect(formatTimestamp(-1)).toBe('00:00:00,000');
  });
  it('parses both separators and short forms', () => {
    expect(parseTimestamp('01:02:03,500')).toBeCloseTo(3723.5);
    expect(parseTimestamp('00:00:01.25')).toBeCloseTo(1.25);
    expect(parseTimestamp('02:03.400')).toBeCloseTo(123.4);
    expect(() => parseTimestamp('nope')).toThrow();
  });
});

describe('toSrt / toVtt', () => {
  const segments = [
    { start: 0, end: 1.5, text: 'First line.' },
    { start: 2, end: 2, text: 'zero length is dropped' },
    { start: 2.5, end: 4, text: '  Two\n\nlines  --> arrow ' },
    { start: 5, end: 6, text: '   ' },
  ];
  it('writes numbered SRT cues', () => {
    expect(toSrt(segments)).toBe(
      '1\n00:00:00,000 --> 00:00:01,500\nFirst line.\n\n2\n00:00:02,500 --> 00:00:04,000\nTwo\nlines  -> arrow\n',
    );
  });
  it('writes WebVTT with a header', () => {
    const vtt = toVtt(segments);
    expect(vtt.startsWith('WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nFirst line.\n')).toBe(true);
    expect(vtt).toContain('00:00:02.500 --> 00:00:04.000\nTwo\nlines  -> arrow');
    expect(vtt).not.toContain('-->  arrow');
  });
  it('round-trips through parseSubtitles', () => {
    const parsed = parseSubtitles(toSrt(transcript.segments));
    expect(parsed).toEqual(transcript.segments);
    expect(parseSubtitles(toVtt(transcript.segments))).toEqual(transcript.segments);
  });
  it('parses real-world SRT: CRLF, BOM, tags, multi-line cues', () => {
    const srt = '\uFEFF1\r\n00:00:01,000 --> 00:00:02,000\r\n<i>Hi</i> {\\an8}there\r\nfriend\r\n\r\n2\r\n00:00:03,000 --> 00:00:04,000 X1:0\r\nBye\r\n';
    expect(parseSubtitles(srt)).toEqual([
      { start: 1, end: 2, text: 'Hi there friend' },
      { start: 3, end: 4, text: 'Bye' },
    ]);
  });
});

describe('sliceTranscript', () => {
  it('keeps what overlaps the clip, clipped and shifted to clip time', () => {
    const slice = sliceTranscript(transcript, 8, 20);
    expect(slice.durationSeconds).toBe(12);
    expect(slice.source).toBe('whisper');
    expect(slice.language).toBe('en');
    expect(slice.segments).toEqual([
      { start: 0, end: 1.5, text: 'This sentence crosses the clip start.' },
      { start: 2, end: 6.25, text: 'Fully inside the clip.' },
      { start: 6.5, end: 12, text: 'This one crosses the end.' },
    ]);
    expect(slice.words).toEqual([{ start: 2, end: 2.6, word: 'Fully' }]);
    expect(transcriptSchema.parse(slice)).toEqual(slice);
  });
  it('is empty outside the speech', () => {
    expect(sliceTranscript(transcript, 26, 29).segments).toEqual([]);
  });
  it('gives the text of a range', () => {
    expect(textBetween(transcript, 10, 14)).toBe('Fully inside the clip.');
  });
});

describe('toCaptionCues', () => {
  it('splits long segments into short timed cues covering the segment', () => {
    const t: Transcript = {
      durationSeconds: 10,
      source: 'captions',
      segments: [{ start: 0, end: 6, text: 'one two three four five six seven eight nine ten eleven twelve' }],
    };
    const cues = toCaptionCues(t, 20);
    expect(cues.length).toBeGreaterThan(2);
    expect(cues.every((c) => c.text.length <= 20)).toBe(true);
    expect(cues[0]!.start).toBe(0);
    expect(cues.at(-1)!.end).toBeCloseTo(6, 2);
    expect(cues.map((c) => c.text).join(' ')).toBe(t.segments[0]!.text);
  });
});

describe('parseSilenceLines', () => {
  it('pairs starts and ends and closes a trailing silence at the duration', () => {
    const lines = [
      '[silencedetect @ 0x1] silence_start: -0.0120',
      '[silencedetect @ 0x1] silence_end: 0.5 | silence_duration: 0.51',
      '[silencedetect @ 0x1] silence_start: 2.81',
      '[silencedetect @ 0x1] silence_end: 3.815 | silence_duration: 1.0',
      '[silencedetect @ 0x1] silence_start: 88',
    ];
    expect(parseSilenceLines(lines, 90)).toEqual([
      { start: 0, end: 0.5 },
      { start: 2.81, end: 3.815 },
      { start: 88, end: 90 },
    ]);
    expect(parseSilenceLines(lines)).toHaveLength(2);
  });
});
