/**
 * A local OpenAI-compatible test double speaking the real wire protocol, for tests and `npm run dev`
 * without OPENAI_API_KEY. The official SDK works against it with `baseURL: url`.
 *
 * - POST /v1/audio/transcriptions (multipart: file, model, response_format json | text | srt | vtt |
 *   verbose_json, timestamp_granularities[], language). It "transcribes" speech made from a known
 *   script (tests/fixtures/sample-script.txt, or one registered with POST /__double/script): it
 *   finds the speech stretches of the uploaded audio with ffmpeg silencedetect and aligns them to the
 *   script's sentences by their spoken durations (espeak-ng says each sentence in a known time), so
 *   a chunk cut from the middle of the audio gets the right sentences; a sentence cut by the chunk's
 *   edge comes back partial, as a real model would hear it.
 * - POST /v1/chat/completions: with response_format json_schema it reads the "[start-end] text"
 *   transcript lines, "Return exactly N clips" and "between A and B seconds" from the prompt and
 *   answers with clips built from those lines (JSON in message.content); otherwise a short text.
 * - Test controls: GET/DELETE /__double/requests (recorded calls), POST /__double/script
 *   {text | sentences}, POST /__double/fail {path?, status?, count?, message?}, POST /__double/delay
 *   {path?, ms, count?} (hold the next `count` API calls — every call when absent — for `ms` before
 *   answering; a slow model, or a stage that outlives its function timeout), DELETE /__double/delay,
 *   POST /__double/reset. A call whose client went away before the answer is recorded `aborted`.
 */
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { detectSilences, probe } from '../../lib/media/ffmpeg.ts';
import { toSrt, toVtt } from '../../lib/media/captions.ts';
import { speechRegions } from '../../lib/ai/select.ts';
import { espeakAvailable, readSampleScript, sentenceDurations, splitSentences } from '../../scripts/make-sample-video.ts';

export interface RecordedRequest {
  method: string;
  path: string;
  at: string;
  status: number;
  model?: string;
  /** Transcriptions: the multipart fields (not the file) and the file's name and size. */
  fields?: Record<string, string | string[]>;
  file?: { name: string; bytes: number };
  /** Chat: the request body without the messages' text. */
  responseFormat?: unknown;
  messages?: number;
  userText?: string;
  /** How long a /__double/delay held it before it was handled. */
  delayedMs?: number;
  /** The client closed the connection before the answer (a killed or timed-out caller). */
  aborted?: boolean;
}

export interface OpenAIDouble {
  /** Base URL including /v1: use it as OPENAI_BASE_URL / the SDK's baseURL. */
  url: string;
  stop(): Promise<void>;
}

/** Largest upload the real API accepts (25 MB). */
export const MAX_FILE_BYTES = 25 * 1024 * 1024;

interface Failure {
  path?: string;
  status: number;
  count: number;
  message: string;
}

interface Delay {
  path?: string;
  ms: number;
  /** Calls left to hold; null: every call until cleared. */
  count: number | null;
}

interface Part {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

/** Minimal multipart/form-data parser (enough for the SDK's uploads). */
export function parseMultipart(body: Buffer, contentType: string): Part[] {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!m) throw new Error('multipart boundary missing');
  const boundary = Buffer.from(`--${(m[1] ?? m[2])!.trim()}`);
  const parts: Part[] = [];
  let pos = body.indexOf(boundary);
  while (pos >= 0) {
    const next = body.indexOf(boundary, pos + boundary.length);
    if (next < 0) break;
    const chunk = body.subarray(pos + boundary.length + 2, next - 2); // skip CRLF after boundary, before next
    pos = next;
    const headerEnd = chunk.indexOf('\r\n\r\n');
    if (headerEnd < 0) continue;
    const headers = chunk.subarray(0, headerEnd).toString('utf8');
    const data = chunk.subarray(headerEnd + 4);
    const name = /name="([^"]*)"/i.exec(headers)?.[1];
    if (name === undefined) continue;
    const filename = /filename="([^"]*)"/i.exec(headers)?.[1];
    const ct = /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1];
    parts.push({ name, data, ...(filename !== undefined ? { filename } : {}), ...(ct ? { contentType: ct.trim() } : {}) });
  }
  return parts;
}

interface Spoken {
  start: number;
  end: number;
  text: string;
  words: { word: string; start: number; end: number }[];
}

/**
 * Word timings for a sentence spoken over [start, start + seconds], in proportion to each word's
 * length; only the words heard inside [0, audioEnd] are kept (a sentence cut by the audio's edge).
 */
export function layoutWords(text: string, start: number, seconds: number, audioEnd: number) {
  const words = text.split(/\s+/).filter(Boolean);
  const weights = words.map((w) => w.length + 1);
  const total = weights.reduce((a, b) => a + b, 0);
  let t = start;
  const out: { word: string; start: number; end: number }[] = [];
  words.forEach((word, i) => {
    const d = (seconds * weights[i]!) / total;
    const mid = t + d / 2;
    if (mid >= 0 && mid <= audioEnd) out.push({ word, start: round2(Math.max(0, t)), end: round2(Math.min(audioEnd, t + d)) });
    t += d;
  });
  return out;
}

/**
 * Labels speech stretches with script sentences. Stretch k is sentence (offset + k) mod n; the
 * offset is the one whose expected durations best match the stretches not touching the edges.
 * A stretch cut by an edge of the audio keeps the words heard inside it: the sentence is laid out
 * at its full spoken length from the edge it was not cut at.
 */
export function alignToScript(
  regions: { start: number; end: number }[],
  durationSeconds: number,
  sentences: string[],
  expected: number[],
): Spoken[] {
  const n = sentences.length;
  if (n === 0 || regions.length === 0) return [];
  const cutStart = (r: { start: number }) => r.start < 0.05;
  const cutEnd = (r: { end: number }) => r.end > durationSeconds - 0.05;
  const interior = regions.map((r, k) => ({ k, d: r.end - r.start, edge: cutStart(r) || cutEnd(r) })).filter((x) => !x.edge);
  let best = 0;
  let bestCost = Number.POSITIVE_INFINITY;
  for (let o = 0; o < n; o++) {
    let cost = 0;
    for (const x of interior) cost += (x.d - expected[(o + x.k) % n]!) ** 2;
    if (interior.length === 0) {
      // Only edge pieces: they may be shorter than their sentence, never much longer.
      cost = regions.reduce((c, r, k) => c + Math.max(0, r.end - r.start - expected[(o + k) % n]! - 0.2) ** 2, 0);
    }
    if (cost < bestCost - 1e-9) {
      bestCost = cost;
      best = o;
    }
  }
  const spoken: Spoken[] = [];
  regions.forEach((r, k) => {
    const idx = (best + k) % n;
    const text = sentences[idx]!;
    const seconds = expected[idx]!;
    const cut = r.end - r.start < seconds * 0.92;
    let words: Spoken['words'];
    if (cut && cutStart(r)) words = layoutWords(text, r.end - seconds, seconds, durationSeconds);
    else if (cut && cutEnd(r)) words = layoutWords(text, r.start, seconds, durationSeconds);
    else words = layoutWords(text, r.start, r.end - r.start, Number.POSITIVE_INFINITY);
    if (words.length === 0) return;
    spoken.push({ start: r.start, end: r.end, text: words.map((w) => w.word).join(' '), words });
  });
  return spoken;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

const chatBodySchema = z.object({
  model: z.string().min(1),
  messages: z
    .array(z.object({ role: z.string(), content: z.union([z.string(), z.array(z.looseObject({ type: z.string() }))]).nullish() }).loose())
    .min(1),
  response_format: z
    .object({ type: z.string(), json_schema: z.looseObject({ name: z.string(), schema: z.unknown().optional() }).optional() })
    .loose()
    .optional(),
}).loose();

interface Line {
  start: number;
  end: number;
  text: string;
}

/** The double's "model": deterministic clips made of whole transcript lines. */
export function chooseClips(lines: Line[], count: number, min: number, max: number) {
  const windows: { i: number; j: number; start: number; end: number; rank: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    for (let j = i; j < lines.length; j++) {
      const d = lines[j]!.end - lines[i]!.start;
      if (d > max) break;
      if (d < min) continue;
      const text = lines.slice(i, j + 1).map((l) => l.text).join(' ');
      // Questions and exclamations are "interesting"; then prefer longer, earlier windows.
      const rank = (text.match(/[?!]/g)?.length ?? 0) * 100 + d;
      windows.push({ i, j, start: lines[i]!.start, end: lines[j]!.end, rank });
    }
  }
  windows.sort((a, b) => b.rank - a.rank || a.start - b.start);
  const chosen: typeof windows = [];
  for (const w of windows) {
    if (chosen.length >= count) break;
    if (!chosen.some((c) => c.start < w.end && w.start < c.end)) chosen.push(w);
  }
  return chosen.map((w, rank) => {
    const first = lines[w.i]!.text.split(/\s+/).slice(0, 5).join(' ').replace(/[.,!?]+$/, '');
    return {
      start: w.start,
      end: w.end,
      title: `Highlight: ${first}`,
      reason: `Chosen by the OpenAI test double: ${w.j - w.i + 1} complete sentence(s).`,
      score: 90 - rank * 5,
    };
  });
}

export async function startOpenAIDouble(opts: { port: number; host?: string }): Promise<OpenAIDouble> {
  let sentences = splitSentences(readSampleScript());
  let expected: Promise<number[]> | undefined;
  const estimate = (s: string[]) => s.map((t) => t.length * 0.068);
  const durations = () => (expected ??= espeakAvailable() ? sentenceDurations(sentences) : Promise.resolve(estimate(sentences)));
  const requests: RecordedRequest[] = [];
  let failures: Failure[] = [];
  let delays: Delay[] = [];
  const holds = new Set<() => void>();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'openai-double-'));
  let seq = 0;

  const send = (res: http.ServerResponse, status: number, body: unknown, type = 'application/json') => {
    const text = typeof body === 'string' && type !== 'application/json' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': type, 'x-request-id': `req_double_${++seq}` });
    res.end(text);
  };
  const apiError = (res: http.ServerResponse, status: number, message: string, param: string | null = null) =>
    send(res, status, { error: { message, type: status === 401 ? 'invalid_request_error' : status >= 500 ? 'server_error' : 'invalid_request_error', param, code: null } });

  // A held call's body is read before the hold (as a real server takes the upload, then is slow):
  // only then does the server see the client hang up, and the handler reads it from here.
  const readAhead = new WeakMap<http.IncomingMessage, Promise<Buffer>>();
  const readBody = (req: http.IncomingMessage, limit: number) =>
    readAhead.get(req) ??
    new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= limit) chunks.push(c);
      });
      req.on('end', () => (size > limit ? reject(Object.assign(new Error('too large'), { size })) : resolve(Buffer.concat(chunks))));
      req.on('error', reject);
    });

  async function transcriptions(req: http.IncomingMessage, res: http.ServerResponse, record: RecordedRequest) {
    let body: Buffer;
    try {
      body = await readBody(req, MAX_FILE_BYTES + 1024 * 1024);
    } catch {
      record.status = 413;
      return apiError(res, 413, `Maximum content size limit (${MAX_FILE_BYTES}) exceeded.`);
    }
    const ct = req.headers['content-type'] ?? '';
    if (!ct.startsWith('multipart/form-data')) {
      record.status = 400;
      return apiError(res, 400, 'Expected multipart/form-data');
    }
    const parts = parseMultipart(body, ct);
    const fields: Record<string, string | string[]> = {};
    for (const p of parts.filter((p) => p.filename === undefined)) {
      const v = p.data.toString('utf8');
      const prev = fields[p.name];
      fields[p.name] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    const file = parts.find((p) => p.name === 'file' && p.filename !== undefined);
    record.fields = fields;
    if (typeof fields.model === 'string') record.model = fields.model;
    if (file) record.file = { name: file.filename ?? '', bytes: file.data.length };
    if (!file) {
      record.status = 400;
      return apiError(res, 400, "Missing required parameter: 'file'.", 'file');
    }
    if (!fields.model) {
      record.status = 400;
      return apiError(res, 400, "Missing required parameter: 'model'.", 'model');
    }
    if (file.data.length > MAX_FILE_BYTES) {
      record.status = 413;
      return apiError(res, 413, `Maximum content size limit (${MAX_FILE_BYTES}) exceeded (${file.data.length} bytes read)`);
    }
    const format = String(fields.response_format ?? 'json');
    const granularities = ([] as string[]).concat(fields['timestamp_granularities[]'] ?? []);
    const ext = path.extname(file.filename ?? '') || '.mp3';
    const tmp = path.join(work, `upload-${++seq}${ext}`);
    fs.writeFileSync(tmp, file.data);
    let spoken: Spoken[];
    let duration: number;
    try {
      duration = (await probe(tmp, { requireVideo: false })).durationSeconds;
      const silences = await detectSilences(tmp, { noiseDb: -35, minSeconds: 0.45 });
      const regions = speechRegions(silences, duration).filter((r) => r.end - r.start >= 0.15);
      spoken = alignToScript(regions, duration, sentences, await durations());
    } catch {
      record.status = 400;
      return apiError(res, 400, 'Invalid file format. Supported formats: flac, m4a, mp3, mp4, mpeg, mpga, oga, ogg, wav, webm', 'file');
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    record.status = 200;
    const text = spoken.map((s) => s.text).join(' ');
    const segments = spoken.map((s, id) => ({
      id,
      seek: 0,
      start: round2(s.start),
      end: round2(s.end),
      text: ` ${s.text}`,
      tokens: [],
      temperature: 0,
      avg_logprob: -0.2,
      compression_ratio: 1.3,
      no_speech_prob: 0.01,
    }));
    if (format === 'text') return send(res, 200, `${text}\n`, 'text/plain; charset=utf-8');
    if (format === 'srt') return send(res, 200, toSrt(spoken), 'text/plain; charset=utf-8');
    if (format === 'vtt') return send(res, 200, toVtt(spoken), 'text/plain; charset=utf-8');
    if (format === 'verbose_json') {
      return send(res, 200, {
        task: 'transcribe',
        language: typeof fields.language === 'string' && fields.language ? fields.language : 'english',
        duration: round2(duration),
        text,
        ...(granularities.length === 0 || granularities.includes('segment') ? { segments } : {}),
        ...(granularities.includes('word') ? { words: spoken.flatMap((sp) => sp.words.map((w) => ({ ...w, word: w.word.replace(/[.,!?;:]+$/, '') }))) } : {}),
      });
    }
    if (format === 'json') return send(res, 200, { text });
    record.status = 400;
    return apiError(res, 400, `Unsupported response_format: ${format}`, 'response_format');
  }

  async function chat(req: http.IncomingMessage, res: http.ServerResponse, record: RecordedRequest) {
    let parsed: z.infer<typeof chatBodySchema>;
    try {
      parsed = chatBodySchema.parse(JSON.parse((await readBody(req, 20 * 1024 * 1024)).toString('utf8')));
    } catch (err) {
      record.status = 400;
      return apiError(res, 400, `Invalid request body: ${err instanceof Error ? err.message.slice(0, 200) : 'unreadable'}`);
    }
    record.model = parsed.model;
    record.messages = parsed.messages.length;
    record.responseFormat = parsed.response_format;
    const userText = parsed.messages
      .filter((m) => m.role === 'user')
      .map((m) => (typeof m.content === 'string' ? m.content : (m.content ?? []).map((c) => String((c as { text?: string }).text ?? '')).join('\n')))
      .join('\n');
    record.userText = userText;
    let content: string;
    if (parsed.response_format?.type === 'json_schema') {
      const lines: Line[] = [];
      for (const m of userText.matchAll(/^\[(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)\]\s*(.+)$/gm)) {
        lines.push({ start: Number(m[1]), end: Number(m[2]), text: m[3]!.trim() });
      }
      const count = Number(/Return exactly (\d+) clips?/i.exec(userText)?.[1] ?? 3);
      const range = /between ([\d.]+) and ([\d.]+) seconds/i.exec(userText);
      const min = Number(range?.[1] ?? 15);
      const max = Number(range?.[2] ?? 60);
      content = JSON.stringify({ clips: chooseClips(lines, count, min, max) });
    } else if (parsed.response_format?.type === 'json_object') {
      content = JSON.stringify({ reply: 'This is the Clipforge OpenAI test double.' });
    } else {
      content = 'This is the Clipforge OpenAI test double.';
    }
    record.status = 200;
    const promptTokens = Math.ceil(userText.length / 4);
    const completionTokens = Math.ceil(content.length / 4);
    send(res, 200, {
      id: `chatcmpl-double-${++seq}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: parsed.model,
      choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
      system_fingerprint: 'fp_double',
    });
  }

  const scriptSchema = z.union([z.object({ text: z.string().min(1) }), z.object({ sentences: z.array(z.string().min(1)).min(1) })]);
  const delaySchema = z.object({
    path: z.string().optional(),
    ms: z.number().int().min(0).max(3_600_000),
    count: z.number().int().min(1).optional(),
  });
  /** Waits ms, or less if the client goes away; true when the client is still there. */
  const hold = (ms: number, res: http.ServerResponse) =>
    new Promise<boolean>((resolve) => {
      if (res.destroyed) return resolve(false);
      const done = () => {
        clearTimeout(timer);
        res.off('close', done);
        holds.delete(done);
        resolve(!res.destroyed && !res.writableEnded);
      };
      const timer = setTimeout(done, ms);
      res.once('close', done);
      holds.add(done);
    });
  const failSchema = z.object({
    path: z.string().optional(),
    status: z.number().int().min(400).max(599).default(500),
    count: z.number().int().min(1).default(1),
    message: z.string().default('Injected failure'),
  });

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://double');
    const route = `${req.method} ${url.pathname}`;
    const handle = async () => {
      if (route === 'GET /health') return send(res, 200, { ok: true });
      if (route === 'GET /__double/requests') return send(res, 200, requests);
      if (route === 'DELETE /__double/requests') {
        requests.length = 0;
        return send(res, 200, { ok: true });
      }
      if (route === 'POST /__double/reset') {
        requests.length = 0;
        failures = [];
        delays = [];
        sentences = splitSentences(readSampleScript());
        expected = undefined;
        return send(res, 200, { ok: true });
      }
      if (route === 'POST /__double/script') {
        const body = scriptSchema.safeParse(JSON.parse((await readBody(req, 1024 * 1024)).toString('utf8') || '{}'));
        if (!body.success) return apiError(res, 400, 'Send {text} or {sentences}');
        sentences = 'text' in body.data ? splitSentences(body.data.text) : body.data.sentences.map((s) => s.trim());
        expected = undefined;
        return send(res, 200, { sentences: sentences.length });
      }
      if (route === 'POST /__double/fail') {
        const body = failSchema.safeParse(JSON.parse((await readBody(req, 64 * 1024)).toString('utf8') || '{}'));
        if (!body.success) return apiError(res, 400, 'Bad failure spec');
        const { path: only, ...rest } = body.data;
        failures.push({ ...rest, ...(only ? { path: only } : {}) });
        return send(res, 200, { ok: true });
      }
      if (route === 'POST /__double/delay') {
        const body = delaySchema.safeParse(JSON.parse((await readBody(req, 64 * 1024)).toString('utf8') || '{}'));
        if (!body.success) return apiError(res, 400, 'Send {ms, path?, count?}');
        const { path: only, count, ms } = body.data;
        delays.push({ ms, count: count ?? null, ...(only ? { path: only } : {}) });
        return send(res, 200, { ok: true });
      }
      if (route === 'DELETE /__double/delay') {
        delays = [];
        return send(res, 200, { ok: true });
      }
      if (route === 'GET /v1/models') {
        return send(res, 200, {
          object: 'list',
          data: ['whisper-1', 'gpt-4o-mini'].map((id) => ({ id, object: 'model', created: 0, owned_by: 'double' })),
        });
      }
      const isApi = route === 'POST /v1/audio/transcriptions' || route === 'POST /v1/chat/completions';
      if (!isApi) return apiError(res, 404, `Unknown route ${route}`);
      const record: RecordedRequest = { method: req.method ?? '', path: url.pathname, at: new Date().toISOString(), status: 0 };
      requests.push(record);
      res.once('close', () => {
        if (!res.writableFinished) record.aborted = true;
      });
      if (!/^Bearer\s+\S+/.test(req.headers.authorization ?? '')) {
        record.status = 401;
        req.resume();
        return apiError(res, 401, 'You did not provide an API key.');
      }
      const delay = delays.find((d) => !d.path || d.path === url.pathname);
      if (delay) {
        if (delay.count !== null && --delay.count <= 0) delays = delays.filter((d) => d !== delay);
        const body = readBody(req, url.pathname === '/v1/audio/transcriptions' ? MAX_FILE_BYTES + 1024 * 1024 : 20 * 1024 * 1024);
        body.catch(() => undefined); // the handler sees the error
        readAhead.set(req, body);
        await body.catch(() => undefined);
        const heldSince = Date.now();
        const stillThere = await hold(delay.ms, res);
        record.delayedMs = Date.now() - heldSince;
        if (!stillThere) {
          req.resume();
          return;
        }
      }
      const failure = failures.find((f) => !f.path || f.path === url.pathname);
      if (failure) {
        failure.count -= 1;
        if (failure.count <= 0) failures = failures.filter((f) => f !== failure);
        record.status = failure.status;
        req.resume();
        return apiError(res, failure.status, failure.message);
      }
      if (route === 'POST /v1/audio/transcriptions') return transcriptions(req, res, record);
      return chat(req, res, record);
    };
    handle().catch((err: unknown) => {
      if (!res.headersSent) apiError(res, 500, err instanceof Error ? err.message : 'double failure');
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}/v1`,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const release of [...holds]) release();
        server.closeAllConnections();
        server.close(() => {
          fs.rmSync(work, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}

// `node dev/doubles/openai.ts [port]` runs it on its own.
if (process.argv[1] && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  const port = Number(process.argv[2] ?? 12112);
  startOpenAIDouble({ port }).then((d) => console.log(`OpenAI double at ${d.url}`));
}
