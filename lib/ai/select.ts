import type OpenAI from 'openai';
import { z } from 'zod';
import { aiSettings, openaiClient } from './openai.ts';
import { clipCandidateSchema, type ClipCandidate, type Transcript } from './types.ts';

/**
 * Clip selection. With an OpenAI key: chat completions with a strict json_schema response, the
 * answer validated and every clip snapped to sentence boundaries. Without a key, on an empty
 * transcript, or when the model fails in any way: a deterministic local heuristic — sentence-
 * aligned and silence-aware, or cut on speech/silence boundaries when there is no transcript.
 */

export interface Silence {
  start: number;
  end: number;
}

export interface SelectOptions {
  clipCount: number;
  minSeconds: number;
  maxSeconds: number;
  durationSeconds: number;
  /** What the creator is looking for ("the funniest moments", ...). */
  prompt?: string;
  /** From detectSilences: used to prefer cuts in pauses (and to cut at all without a transcript). */
  silences?: Silence[];
  /** Defaults to the configured client; pass null to force the heuristic. */
  client?: OpenAI | null;
  model?: string;
}

export interface Selection {
  clips: ClipCandidate[];
  selector: 'openai' | 'heuristic';
  /** Why the heuristic was used (no key, model error...), for logs and the job record. */
  fallbackReason?: string;
}

export interface Sentence {
  start: number;
  end: number;
  text: string;
}

const TERMINAL = /[.!?…。！？]["')\]]*$/;

/**
 * The transcript as sentences: segments are joined until one ends a sentence (captions often
 * break lines mid-sentence) and split where one holds several sentences (timed by its words when
 * available, else in proportion to the text). A sentence never grows past `maxSeconds`.
 */
export function toSentences(transcript: Transcript, maxSeconds = Number.POSITIVE_INFINITY): Sentence[] {
  const pieces: Sentence[] = [];
  for (const seg of transcript.segments) {
    const text = seg.text.replace(/\s+/g, ' ').trim();
    if (!text || seg.end <= seg.start) continue;
    const parts = text.split(/(?<=[.!?…])\s+(?=\S)/);
    if (parts.length === 1) {
      pieces.push({ start: seg.start, end: seg.end, text });
      continue;
    }
    const total = parts.reduce((n, p) => n + p.length, 0);
    let t = seg.start;
    for (const part of parts) {
      const d = ((seg.end - seg.start) * part.length) / total;
      pieces.push({ start: round3(t), end: round3(t + d), text: part });
      t += d;
    }
  }
  const sentences: Sentence[] = [];
  let open: Sentence | undefined;
  for (const p of pieces) {
    if (open && (p.end - open.start > maxSeconds || p.start - open.end > 2)) {
      sentences.push(open);
      open = undefined;
    }
    open = open ? { start: open.start, end: p.end, text: `${open.text} ${p.text}` } : { ...p };
    if (TERMINAL.test(open.text)) {
      sentences.push(open);
      open = undefined;
    }
  }
  if (open) sentences.push(open);
  return sentences;
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

function mmss(t: number): string {
  const s = Math.round(t);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** A short title from a sentence: up to 8 words, no trailing punctuation. */
export function titleFrom(text: string): string {
  const words = text.replace(/\s+/g, ' ').trim().split(' ').slice(0, 8).join(' ');
  const cleaned = words.replace(/[\s,.;:!?…-]+$/u, '');
  const t = cleaned.charAt(0).toUpperCase() + cleaned.slice(1);
  return (t.length > 80 ? `${t.slice(0, 77)}…` : t) || 'Clip';
}

function overlaps(a: { start: number; end: number }, b: { start: number; end: number }): boolean {
  return a.start < b.end && b.start < a.end;
}

/** Is there a detected silence (or a clear gap between sentences) at time t? */
function pauseAt(t: number, silences: Silence[]): boolean {
  return silences.some((s) => s.start - 0.15 <= t && t <= s.end + 0.15);
}

const HOOK = /\b(why|how|what|secret|mistake|never|always|best|worst|first|finally|important|because|you)\b/i;

interface Candidate {
  start: number;
  end: number;
  i: number;
  j: number;
  score: number;
  reasons: string[];
}

/** Deterministic, sentence-aligned selection over a transcript. */
function heuristicFromSentences(sentences: Sentence[], opts: SelectOptions): ClipCandidate[] {
  const silences = opts.silences ?? [];
  const target = (opts.minSeconds + opts.maxSeconds) / 2;
  const candidates: Candidate[] = [];
  for (let i = 0; i < sentences.length; i++) {
    let words = 0;
    let speech = 0;
    for (let j = i; j < sentences.length; j++) {
      const s = sentences[j]!;
      words += s.text.split(/\s+/).length;
      speech += s.end - s.start;
      const start = sentences[i]!.start;
      const end = s.end;
      const dur = end - start;
      if (dur > opts.maxSeconds) break;
      if (dur < opts.minSeconds) continue;
      const reasons: string[] = [];
      const gapBefore = i === 0 ? 1 : start - sentences[i - 1]!.end;
      const gapAfter = j === sentences.length - 1 ? 1 : sentences[j + 1]!.start - end;
      const cleanIn = gapBefore >= 0.3 || pauseAt(start, silences);
      const cleanOut = gapAfter >= 0.3 || pauseAt(end, silences);
      const density = Math.min(1, words / dur / 3); // ~3 words/s is dense speech
      const speechRatio = Math.min(1, speech / dur);
      const first = sentences[i]!.text;
      const last = s.text;
      const hook = HOOK.test(first) || /\?$/.test(first) ? 1 : 0;
      const strongEnd = /[!?]$/.test(last) ? 1 : 0;
      const lengthFit = 1 - Math.min(1, Math.abs(dur - target) / Math.max(1, opts.maxSeconds - opts.minSeconds));
      let raw = 0.3 * density + 0.2 * speechRatio + 0.15 * lengthFit + 0.15 * hook + 0.05 * strongEnd;
      raw += (cleanIn ? 0.075 : 0) + (cleanOut ? 0.075 : 0);
      reasons.push(`${j - i + 1} full sentence${j > i ? 's' : ''}`);
      if (cleanIn && cleanOut) reasons.push('starts and ends in a pause');
      reasons.push(`${(words / dur).toFixed(1)} words/s`);
      if (hook) reasons.push('opens with a hook');
      if (strongEnd) reasons.push('ends on a strong line');
      candidates.push({ start, end, i, j, score: Math.round(Math.min(100, 30 + 70 * raw)), reasons });
    }
  }
  candidates.sort((a, b) => b.score - a.score || a.start - b.start || a.end - b.end);
  const chosen: Candidate[] = [];
  for (const c of candidates) {
    if (chosen.length >= opts.clipCount) break;
    if (chosen.some((o) => overlaps(o, c))) continue;
    chosen.push(c);
  }
  return chosen.map((c) => ({
    start: round3(c.start),
    end: round3(c.end),
    title: titleFrom(sentences[c.i]!.text),
    reason: `Local selection: ${c.reasons.join(', ')}.`,
    score: c.score,
    transcript: sentences
      .slice(c.i, c.j + 1)
      .map((s) => s.text)
      .join(' '),
  }));
}

/** Speech stretches: the complement of the silences within [0, duration]. */
export function speechRegions(silences: Silence[], durationSeconds: number): Silence[] {
  const regions: Silence[] = [];
  let t = 0;
  for (const s of [...silences].sort((a, b) => a.start - b.start)) {
    if (s.start > t + 0.05) regions.push({ start: round3(t), end: round3(Math.min(s.start, durationSeconds)) });
    t = Math.max(t, s.end);
  }
  if (durationSeconds > t + 0.05) regions.push({ start: round3(t), end: round3(durationSeconds) });
  return regions;
}

/** Without a transcript: cut in the middle of pauses, preferring windows full of speech. */
function heuristicFromSilences(opts: SelectOptions): ClipCandidate[] {
  const duration = opts.durationSeconds;
  const silences = (opts.silences ?? []).filter((s) => s.end > s.start);
  const speech = speechRegions(silences, duration);
  // Cut points: the start of each speech stretch (minus a breath) and the end of each (plus one).
  const points = new Set<number>([0, round3(duration)]);
  for (const r of speech) {
    points.add(round3(Math.max(0, r.start - 0.2)));
    points.add(round3(Math.min(duration, r.end + 0.2)));
  }
  const cuts = [...points].sort((a, b) => a - b);
  const target = (opts.minSeconds + opts.maxSeconds) / 2;
  const candidates: { start: number; end: number; score: number; speechRatio: number }[] = [];
  for (let a = 0; a < cuts.length; a++) {
    for (let b = a + 1; b < cuts.length; b++) {
      const start = cuts[a]!;
      const end = cuts[b]!;
      const dur = end - start;
      if (dur > opts.maxSeconds) break;
      if (dur < opts.minSeconds) continue;
      const talk = speech.reduce((n, r) => n + Math.max(0, Math.min(end, r.end) - Math.max(start, r.start)), 0);
      const speechRatio = talk / dur;
      const lengthFit = 1 - Math.min(1, Math.abs(dur - target) / Math.max(1, opts.maxSeconds - opts.minSeconds));
      candidates.push({ start, end, speechRatio, score: Math.round(20 + 50 * speechRatio + 20 * lengthFit) });
    }
  }
  if (candidates.length === 0) {
    // No usable pauses: even windows.
    const len = Math.min(opts.maxSeconds, Math.max(opts.minSeconds, duration / Math.max(1, opts.clipCount)));
    for (let s = 0; s + Math.min(len, duration) <= duration + 1e-6 && candidates.length < opts.clipCount; s += len) {
      candidates.push({ start: round3(s), end: round3(Math.min(duration, s + len)), score: 20, speechRatio: 0 });
    }
  }
  candidates.sort((x, y) => y.score - x.score || x.start - y.start);
  const chosen: typeof candidates = [];
  for (const c of candidates) {
    if (chosen.length >= opts.clipCount) break;
    if (!chosen.some((o) => overlaps(o, c))) chosen.push(c);
  }
  return chosen.map((c, n) => ({
    start: c.start,
    end: c.end,
    title: `Clip ${n + 1} (${mmss(c.start)}–${mmss(c.end)})`,
    reason:
      `Cut on speech/silence boundaries (${Math.round(c.speechRatio * 100)}% speech). No transcript: ` +
      'set OPENAI_API_KEY or provide a captions track for transcripts, captions and titles.',
    score: c.score,
    transcript: '',
  }));
}

/** The local selector (also the fallback when the model is unavailable or fails). */
export function heuristicClips(transcript: Transcript, opts: SelectOptions): ClipCandidate[] {
  const duration = opts.durationSeconds;
  if (duration <= opts.minSeconds) {
    const text = transcript.segments.map((s) => s.text.trim()).filter(Boolean).join(' ');
    return [
      {
        start: 0,
        end: round3(duration),
        title: text ? titleFrom(text) : 'Whole video',
        reason: 'The video is shorter than the minimum clip length, so the clip is the whole video.',
        score: 50,
        transcript: text,
      },
    ];
  }
  const sentences = toSentences(transcript, opts.maxSeconds);
  const fromSentences = sentences.length ? heuristicFromSentences(sentences, opts) : [];
  const clips = fromSentences.length ? fromSentences : heuristicFromSilences(opts);
  return clips.map((c) => clipCandidateSchema.parse(c));
}

// ---------------------------------------------------------------- OpenAI structured output

/** The json_schema the model must answer with (strict mode: all fields required, no extras). */
export const CLIPS_JSON_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['clips'],
  properties: {
    clips: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['start', 'end', 'title', 'reason', 'score'],
        properties: {
          start: { type: 'number', description: 'Start time in seconds: the start of a transcript line.' },
          end: { type: 'number', description: 'End time in seconds: the end of a transcript line.' },
          title: { type: 'string', description: 'A short, catchy title (at most 8 words).' },
          reason: { type: 'string', description: 'One sentence: why this moment works as a clip.' },
          score: { type: 'number', description: 'How good the clip is, 0 to 100.' },
        },
      },
    },
  },
} as const;

const modelAnswerSchema = z.object({
  clips: z.array(
    z.object({
      start: z.number(),
      end: z.number(),
      title: z.string(),
      reason: z.string(),
      score: z.number(),
    }),
  ),
});

const MAX_PROMPT_CHARS = 400_000;

export function buildMessages(sentences: Sentence[], opts: SelectOptions): { role: 'system' | 'user'; content: string }[] {
  const lines: string[] = [];
  let size = 0;
  for (const s of sentences) {
    const line = `[${s.start.toFixed(2)}-${s.end.toFixed(2)}] ${s.text}`;
    size += line.length + 1;
    if (size > MAX_PROMPT_CHARS) break;
    lines.push(line);
  }
  const system =
    'You pick the best moments of a long video to publish as short clips. Each clip must be ' +
    'self-contained: it starts at the start of a transcript line and ends at the end of a transcript ' +
    'line, never in the middle of a sentence. Clips must not overlap. Prefer strong hooks, complete ' +
    'thoughts, and moments that make sense without context.';
  const user = [
    `Video length: ${opts.durationSeconds.toFixed(1)} seconds.`,
    `Return exactly ${opts.clipCount} clips. Each clip must last between ${opts.minSeconds} and ${opts.maxSeconds} seconds.`,
    opts.prompt ? `The creator asks for: ${opts.prompt.slice(0, 1000)}` : '',
    'Transcript, one sentence per line as [start-end] seconds:',
    ...lines,
  ]
    .filter(Boolean)
    .join('\n');
  return [
    { role: 'system', content: system },
    { role: 'user', content: user },
  ];
}

/**
 * Moves a model's clip onto sentence boundaries and into [min, max]: the start snaps to the
 * nearest sentence start, the end to the nearest sentence end after it, then whole sentences are
 * added or removed until the length fits. Undefined when no sentence-aligned clip fits.
 */
export function snapToSentences(
  clip: { start: number; end: number },
  sentences: Sentence[],
  minSeconds: number,
  maxSeconds: number,
): { start: number; end: number; i: number; j: number } | undefined {
  if (sentences.length === 0) return undefined;
  let i = 0;
  sentences.forEach((s, k) => {
    if (Math.abs(s.start - clip.start) < Math.abs(sentences[i]!.start - clip.start)) i = k;
  });
  let j = i;
  sentences.forEach((s, k) => {
    if (k >= i && Math.abs(s.end - clip.end) < Math.abs(sentences[j]!.end - clip.end)) j = k;
  });
  const dur = () => sentences[j]!.end - sentences[i]!.start;
  while (dur() > maxSeconds && j > i) j--;
  while (dur() < minSeconds) {
    const canGrowEnd = j + 1 < sentences.length && sentences[j + 1]!.end - sentences[i]!.start <= maxSeconds;
    const canGrowStart = i > 0 && sentences[j]!.end - sentences[i - 1]!.start <= maxSeconds;
    if (canGrowEnd) j++;
    else if (canGrowStart) i--;
    else break;
  }
  if (dur() < minSeconds || dur() > maxSeconds) return undefined;
  return { start: sentences[i]!.start, end: sentences[j]!.end, i, j };
}

async function selectWithModel(client: OpenAI, transcript: Transcript, opts: SelectOptions): Promise<ClipCandidate[]> {
  const sentences = toSentences(transcript, opts.maxSeconds);
  const completion = await client.chat.completions.create({
    model: opts.model ?? aiSettings().OPENAI_SELECT_MODEL,
    messages: buildMessages(sentences, opts),
    response_format: {
      type: 'json_schema',
      json_schema: { name: 'clip_selection', strict: true, schema: CLIPS_JSON_SCHEMA as unknown as Record<string, unknown> },
    },
    temperature: 0.2,
  });
  const message = completion.choices[0]?.message;
  if (!message?.content) throw new Error(message?.refusal ? `The model refused: ${message.refusal}` : 'The model returned no content');
  const answer = modelAnswerSchema.parse(JSON.parse(message.content));
  const clips: ClipCandidate[] = [];
  const ranked = [...answer.clips].sort((a, b) => b.score - a.score);
  for (const c of ranked) {
    if (clips.length >= opts.clipCount) break;
    if (!(c.end > c.start)) continue;
    const snapped = snapToSentences(c, sentences, opts.minSeconds, opts.maxSeconds);
    if (!snapped || clips.some((o) => overlaps(o, snapped))) continue;
    clips.push(
      clipCandidateSchema.parse({
        start: round3(snapped.start),
        end: round3(snapped.end),
        title: c.title.trim().slice(0, 120) || titleFrom(sentences[snapped.i]!.text),
        reason: c.reason.trim().slice(0, 1000),
        score: Math.max(0, Math.min(100, Math.round(c.score))),
        transcript: sentences
          .slice(snapped.i, snapped.j + 1)
          .map((s) => s.text)
          .join(' '),
      }),
    );
  }
  if (clips.length === 0) throw new Error('The model returned no usable clips');
  // Fewer than asked: top up with the best local picks that do not overlap.
  if (clips.length < opts.clipCount) {
    for (const h of heuristicClips(transcript, opts)) {
      if (clips.length >= opts.clipCount) break;
      if (!clips.some((o) => overlaps(o, h))) clips.push(h);
    }
  }
  return clips;
}

/** Picks clips: the model when configured (and the transcript has text), else the local heuristic. */
export async function selectClips(transcript: Transcript, opts: SelectOptions): Promise<Selection> {
  if (!(opts.clipCount >= 1) || !(opts.maxSeconds >= opts.minSeconds) || !(opts.minSeconds > 0)) {
    throw new RangeError('clipCount ≥ 1 and 0 < minSeconds ≤ maxSeconds are required');
  }
  const client = opts.client === null ? undefined : (opts.client ?? openaiClient());
  let fallbackReason: string | undefined;
  if (!client) fallbackReason = 'OPENAI_API_KEY is not set';
  else if (transcript.segments.length === 0) fallbackReason = 'the transcript is empty';
  else if (opts.durationSeconds <= opts.minSeconds) fallbackReason = 'the video is shorter than the minimum clip';
  else {
    try {
      return { clips: await selectWithModel(client, transcript, opts), selector: 'openai' };
    } catch (err) {
      fallbackReason = `the model failed: ${err instanceof Error ? err.message : String(err)}`.slice(0, 300);
    }
  }
  return { clips: heuristicClips(transcript, opts), selector: 'heuristic', fallbackReason };
}
