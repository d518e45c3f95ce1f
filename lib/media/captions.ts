import type { Transcript, TranscriptSegment, TranscriptWord } from '../ai/types.ts';

/** Caption formats and transcript slicing. Pure functions (unit-tested, no ffmpeg). */

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** 3723.5 → "01:02:03,500" (SRT) or "01:02:03.500" (VTT). */
export function formatTimestamp(seconds: number, separator: ',' | '.' = ','): string {
  const totalMs = Math.max(0, Math.round(seconds * 1000));
  const ms = totalMs % 1000;
  const totalSeconds = Math.floor(totalMs / 1000);
  const s = totalSeconds % 60;
  const m = Math.floor(totalSeconds / 60) % 60;
  const h = Math.floor(totalSeconds / 3600);
  return `${pad(h)}:${pad(m)}:${pad(s)}${separator}${pad(ms, 3)}`;
}

/** Parses "01:02:03,500", "01:02:03.500" or "02:03.500" into seconds. */
export function parseTimestamp(value: string): number {
  const match = /^(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[.,](\d{1,3}))?$/.exec(value.trim());
  if (!match) throw new Error(`Not a caption timestamp: ${value}`);
  const [, h = '0', m = '0', s = '0', ms = '0'] = match;
  return Number(h) * 3600 + Number(m) * 60 + Number(s) + Number(ms.padEnd(3, '0')) / 1000;
}

function cueText(text: string): string {
  // A blank line ends a cue in both formats; "-->" would start a new timing line in VTT.
  return text
    .replace(/\r/g, '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join('\n')
    .replace(/-->/g, '->');
}

function usable(segments: TranscriptSegment[]): TranscriptSegment[] {
  return segments.filter((s) => s.end > s.start && cueText(s.text) !== '');
}

export function toSrt(segments: TranscriptSegment[]): string {
  return usable(segments)
    .map((s, i) => `${i + 1}\n${formatTimestamp(s.start, ',')} --> ${formatTimestamp(s.end, ',')}\n${cueText(s.text)}\n`)
    .join('\n');
}

export function toVtt(segments: TranscriptSegment[]): string {
  const cues = usable(segments).map(
    (s) => `${formatTimestamp(s.start, '.')} --> ${formatTimestamp(s.end, '.')}\n${cueText(s.text)}\n`,
  );
  return ['WEBVTT\n', ...cues].join('\n');
}

/** Parses SRT (or WebVTT) text into segments; cue numbers, VTT headers and styling tags are dropped. */
export function parseSubtitles(text: string): TranscriptSegment[] {
  const blocks = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').split(/\n{2,}/);
  const segments: TranscriptSegment[] = [];
  for (const block of blocks) {
    const lines = block.split('\n').filter((l) => l.trim() !== '');
    const timing = lines.findIndex((l) => l.includes('-->'));
    if (timing < 0) continue;
    const [from, rest] = lines[timing]!.split('-->');
    const to = rest?.trim().split(/\s+/)[0];
    if (!from || !to) continue;
    let start: number;
    let end: number;
    try {
      start = parseTimestamp(from);
      end = parseTimestamp(to);
    } catch {
      continue;
    }
    const body = lines
      .slice(timing + 1)
      .join(' ')
      .replace(/<[^>]+>/g, '')
      .replace(/\{\\[^}]*\}/g, '')
      .replace(/\s+/g, ' ')
      .trim();
    if (body && end > start) segments.push({ start, end, text: body });
  }
  return segments.sort((a, b) => a.start - b.start);
}

/**
 * The part of a transcript inside [start, end], shifted to clip time (0 = start). Segments that
 * straddle an edge are clipped to it; words likewise.
 */
export function sliceTranscript(transcript: Transcript, start: number, end: number): Transcript {
  const duration = Math.max(0, end - start);
  const shift = <T extends { start: number; end: number }>(item: T): T => ({
    ...item,
    start: round3(Math.max(0, item.start - start)),
    end: round3(Math.min(duration, item.end - start)),
  });
  const inside = (item: { start: number; end: number }) => item.end > start && item.start < end;
  const segments = transcript.segments.filter(inside).map(shift).filter((s) => s.end > s.start);
  const words: TranscriptWord[] | undefined = transcript.words
    ?.filter(inside)
    .map(shift)
    .filter((w) => w.end >= w.start);
  return {
    ...(transcript.language ? { language: transcript.language } : {}),
    durationSeconds: round3(duration),
    source: transcript.source,
    segments,
    ...(words ? { words } : {}),
  };
}

/** The plain text of the segments overlapping [start, end]. */
export function textBetween(transcript: Transcript, start: number, end: number): string {
  return transcript.segments
    .filter((s) => s.end > start && s.start < end)
    .map((s) => s.text.trim())
    .filter(Boolean)
    .join(' ');
}

/**
 * Splits long caption segments into short cues that fit on screen (at most `maxChars` characters),
 * timing each piece by its words when word timestamps exist, else in proportion to its length.
 */
export function toCaptionCues(transcript: Transcript, maxChars = 42): TranscriptSegment[] {
  const cues: TranscriptSegment[] = [];
  for (const seg of transcript.segments) {
    const text = seg.text.trim();
    if (!text) continue;
    if (text.length <= maxChars) {
      cues.push({ start: seg.start, end: seg.end, text });
      continue;
    }
    const pieces: string[] = [];
    let line = '';
    for (const token of text.split(/\s+/)) {
      if (line && line.length + 1 + token.length > maxChars) {
        pieces.push(line);
        line = token;
      } else line = line ? `${line} ${token}` : token;
    }
    if (line) pieces.push(line);
    const total = pieces.reduce((n, p) => n + p.length, 0);
    let t = seg.start;
    for (const piece of pieces) {
      const d = ((seg.end - seg.start) * piece.length) / total;
      cues.push({ start: round3(t), end: round3(Math.min(seg.end, t + d)), text: piece });
      t += d;
    }
  }
  return cues;
}

export function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
