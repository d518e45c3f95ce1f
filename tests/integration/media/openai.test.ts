import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';
import { startOpenAIDouble, type OpenAIDouble, type RecordedRequest } from '../../../dev/doubles/openai.ts';
import { transcribe } from '../../../lib/ai/transcribe.ts';
import { selectClips } from '../../../lib/ai/select.ts';
import { transcriptSchema, type Transcript } from '../../../lib/ai/types.ts';
import { detectSilences, extractAudio } from '../../../lib/media/ffmpeg.ts';
import type { SampleVideo } from '../../../scripts/make-sample-video.ts';
import { sampleVideo, tempDir } from './media-fixtures.ts';

/** The official SDK against the OpenAI test double, on audio made from the known script. */
let double: OpenAIDouble;
let client: OpenAI;
let video: SampleVideo;
let audio: string;
let dir: string;
let full: Transcript;

const control = (p: string) => double.url.replace(/\/v1$/, '') + p;
async function requests(): Promise<RecordedRequest[]> {
  return (await (await fetch(control('/__double/requests'))).json()) as RecordedRequest[];
}

beforeAll(async () => {
  dir = tempDir('clipforge-openai-test-');
  video = await sampleVideo({ seconds: 75, width: 640, height: 360, withSubtitleTrack: true });
  audio = path.join(dir, 'audio.mp3');
  await extractAudio(video.outPath, audio);
  double = await startOpenAIDouble({ port: 0 });
  client = new OpenAI({ apiKey: 'sk-test-double', baseURL: double.url, maxRetries: 0 });
}, 600_000);

afterAll(async () => {
  await double?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('the double speaks the wire protocol', () => {
  it('answers verbose_json with segments and words through the SDK', async () => {
    const res = await client.audio.transcriptions.create({
      file: fs.createReadStream(audio),
      model: 'whisper-1',
      response_format: 'verbose_json',
      timestamp_granularities: ['segment', 'word'],
    });
    expect(res.language).toBe('english');
    expect(res.duration).toBeCloseTo(75, 0);
    expect(res.segments!.length).toBeGreaterThanOrEqual(video.timeline.length);
    expect(res.words!.length).toBeGreaterThan(100);
    const [log] = (await requests()).slice(-1);
    expect(log).toMatchObject({ path: '/v1/audio/transcriptions', status: 200, model: 'whisper-1' });
    expect(log!.fields!['timestamp_granularities[]']).toEqual(['segment', 'word']);
    expect(log!.file!.bytes).toBe(fs.statSync(audio).size);
  });

  it('answers response_format text with a plain string', async () => {
    const text = await client.audio.transcriptions.create({ file: fs.createReadStream(audio), model: 'whisper-1', response_format: 'text' });
    expect(typeof text).toBe('string');
    expect(text).toContain(video.timeline[0]!.text);
  });

  it('rejects requests without a key or a model like the real API', async () => {
    const anonymous = await fetch(`${double.url}/chat/completions`, { method: 'POST', body: '{}' });
    expect(anonymous.status).toBe(401);
    const form = new FormData();
    form.append('file', new Blob([fs.readFileSync(audio)]), 'a.mp3');
    const noModel = await fetch(`${double.url}/audio/transcriptions`, { method: 'POST', body: form, headers: { authorization: 'Bearer x' } });
    expect(noModel.status).toBe(400);
    expect(((await noModel.json()) as { error: { param: string } }).error.param).toBe('model');
  });
});

describe('transcribe', () => {
  it('returns the script sentences with plausible timestamps', async () => {
    full = await transcribe(audio, { client, model: 'whisper-1' });
    expect(transcriptSchema.parse(full)).toEqual(full);
    expect(full).toMatchObject({ source: 'whisper', language: 'en' });
    expect(full.durationSeconds).toBeCloseTo(75, 0);
    // Every whole sentence of the timeline, at its time (± 0.15 s).
    video.timeline.forEach((expected, i) => {
      const seg = full.segments[i]!;
      expect(seg.text).toBe(expected.text);
      expect(Math.abs(seg.start - expected.start)).toBeLessThan(0.15);
      expect(Math.abs(seg.end - expected.end)).toBeLessThan(0.15);
    });
    expect(full.words!.length).toBeGreaterThan(100);
  });

  it('splits audio over the chunk size into several uploads and merges them into the same transcript', async () => {
    await fetch(control('/__double/requests'), { method: 'DELETE' });
    const chunked = await transcribe(audio, { client, model: 'whisper-1', maxChunkBytes: 120_000, overlapSeconds: 8 });
    const uploads = (await requests()).filter((r) => r.path === '/v1/audio/transcriptions');
    expect(uploads.length).toBeGreaterThanOrEqual(3);
    for (const u of uploads) expect(u.file!.bytes).toBeLessThanOrEqual(120_000);
    const whole = video.timeline.length;
    expect(chunked.segments.slice(0, whole).map((s) => s.text)).toEqual(full.segments.slice(0, whole).map((s) => s.text));
    chunked.segments.slice(0, whole).forEach((s, i) => {
      expect(Math.abs(s.start - full.segments[i]!.start)).toBeLessThan(0.15);
      expect(Math.abs(s.end - full.segments[i]!.end)).toBeLessThan(0.15);
    });
    // Timestamps are monotonic and words are not duplicated at the seams.
    for (let i = 1; i < chunked.segments.length; i++) expect(chunked.segments[i]!.start).toBeGreaterThanOrEqual(chunked.segments[i - 1]!.end);
    const words = chunked.words!.map((w) => w.word).join(' ');
    const expectedWords = full.words!.map((w) => w.word).join(' ');
    expect(words.startsWith(expectedWords.slice(0, expectedWords.length - 80))).toBe(true);
  });

  it('passes the language through and surfaces API errors', async () => {
    await fetch(control('/__double/fail'), { method: 'POST', body: JSON.stringify({ path: '/v1/audio/transcriptions', status: 500, count: 1 }) });
    await expect(transcribe(audio, { client, model: 'whisper-1' })).rejects.toThrow(/500/);
    const t = await transcribe(audio, { client, model: 'whisper-1', language: 'en' });
    expect(t.language).toBe('en');
    const [last] = (await requests()).slice(-1);
    expect(last!.fields!.language).toBe('en');
  });
});

describe('selectClips with structured output', () => {
  it('asks with a strict json_schema and returns sentence-aligned clips', async () => {
    const silences = await detectSilences(audio);
    const result = await selectClips(full, { clipCount: 3, minSeconds: 10, maxSeconds: 25, durationSeconds: full.durationSeconds, silences, client, model: 'gpt-4o-mini' });
    expect(result.selector).toBe('openai');
    expect(result.clips).toHaveLength(3);
    const starts = new Set(full.segments.map((s) => s.start));
    const ends = new Set(full.segments.map((s) => s.end));
    for (const c of result.clips) {
      expect(starts.has(c.start)).toBe(true);
      expect(ends.has(c.end)).toBe(true);
      expect(c.end - c.start).toBeGreaterThanOrEqual(10);
      expect(c.end - c.start).toBeLessThanOrEqual(25);
      expect(c.title).toMatch(/^Highlight: /);
      expect(c.transcript.length).toBeGreaterThan(20);
    }
    const [chat] = (await requests()).filter((r) => r.path === '/v1/chat/completions').slice(-1);
    expect(chat!.model).toBe('gpt-4o-mini');
    expect(chat!.responseFormat).toMatchObject({ type: 'json_schema', json_schema: { name: 'clip_selection', strict: true } });
    expect(chat!.userText).toContain('Return exactly 3 clips');
  });

  it('falls back to the heuristic when the model fails', async () => {
    await fetch(control('/__double/fail'), { method: 'POST', body: JSON.stringify({ path: '/v1/chat/completions', status: 400, count: 1 }) });
    const result = await selectClips(full, { clipCount: 2, minSeconds: 10, maxSeconds: 25, durationSeconds: full.durationSeconds, client, model: 'gpt-4o-mini' });
    expect(result.selector).toBe('heuristic');
    expect(result.fallbackReason).toMatch(/model failed/);
    expect(result.clips).toHaveLength(2);
  });

  it('uses a script registered by the test', async () => {
    const script = 'Short custom line here. A second custom sentence that is a little bit longer than the first one.';
    const res = await fetch(control('/__double/script'), { method: 'POST', body: JSON.stringify({ text: script }) });
    expect(await res.json()).toEqual({ sentences: 2 });
    const custom = await sampleVideo({ seconds: 12, width: 320, height: 180, script });
    const customAudio = path.join(dir, 'custom.mp3');
    await extractAudio(custom.outPath, customAudio);
    const t = await transcribe(customAudio, { client, model: 'whisper-1' });
    expect(t.segments.slice(0, custom.timeline.length).map((s) => s.text)).toEqual(custom.timeline.map((s) => s.text));
    await fetch(control('/__double/reset'), { method: 'POST' });
  });
});
