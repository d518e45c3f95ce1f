/**
 * The fault tests' own local stack (scripts/lib/stack.ts, in this test process: free ports,
 * throw-away data) and what they check after a fault: the job, its clips, the ledger, the queues.
 * Each test file starts one stack in beforeAll and stops it in afterAll, whatever happened; the
 * stack's logs are copied to artifacts/fault-logs/<file>/ first (the evidence of a failure).
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from '@jest/globals';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ROOT, freePorts, startStack, type RunningStack, type StackOptions } from '../../scripts/lib/stack.ts';
import { makeSampleVideo } from '../../scripts/make-sample-video.ts';
import { s3 } from '../../lib/aws/clients.ts';
import { getAccount } from '../../lib/billing/index.ts';
import { readBalance } from '../../lib/billing/ledger.ts';
import { dynamoJobStore, type ClipRecord, type JobRecord } from '../../lib/jobs/store.ts';
import type { RecordedRequest } from '../../dev/doubles/openai.ts';
import { createTestUser, type TestUser } from '../support/users.ts';
import { expectInvariant, ledgerOf } from '../integration/billing/helpers.ts';

export interface FaultStack extends RunningStack {
  dataDir: string;
  mediaDir: string;
  /** What a child wrote so far (dataDir/logs/<name>.log). */
  log(name: string): string;
}

/** Starts a stack for one test file; its settings go into process.env (lib/ and the helpers read them). */
export async function startFaultStack(testFile: string, options: Partial<StackOptions> = {}): Promise<FaultStack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'clipforge-faults-'));
  const mediaDir = join(dataDir, 'media');
  const lines: string[] = [];
  let stack: RunningStack;
  try {
    stack = await startStack({
      ports: await freePorts(),
      dataDir,
      persist: false,
      portal: false,
      mediaDir,
      log: (line) => lines.push(`${new Date().toISOString()} ${line}`),
      // The handlers' JSON logs go to dataDir/logs/serverless-offline.log (Jest's NODE_ENV=test would silence them).
      offlineEnv: { LOG_LEVEL: 'INFO' },
      ...options,
    });
  } catch (err) {
    keepLogs(testFile, dataDir, lines);
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  Object.assign(process.env, stack.env);
  return {
    ...stack,
    dataDir,
    mediaDir,
    log: (name) => {
      try {
        return readFileSync(join(dataDir, 'logs', `${name}.log`), 'utf8');
      } catch {
        return '';
      }
    },
    stop: async () => {
      try {
        await stack.stop();
      } finally {
        keepLogs(testFile, dataDir, lines);
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

function keepLogs(testFile: string, dataDir: string, stackLines: string[]): void {
  try {
    const out = join(ROOT, 'artifacts', 'fault-logs', basename(testFile).replace(/\.test\.ts$/, ''));
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    cpSync(join(dataDir, 'logs'), out, { recursive: true });
    writeFileSync(join(out, 'stack.log'), stackLines.join('\n') + '\n');
  } catch {
    /* best effort */
  }
}

/** Polls fn until it returns a value (not undefined); fn may throw while a part of the stack is down. */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
    await sleep(everyMs);
  }
}

// ------------------------------------------------------------------ users, media, jobs

/** A confirmed cognito-local user with the free tier's monthly allowance. */
export async function freeUser(prefix: string): Promise<TestUser> {
  const user = await createTestUser({ prefix });
  await getAccount(user.sub);
  return user;
}

/** A speech video (espeak-ng + ffmpeg) in the stack's media folder; returns its URL. */
export async function sampleVideo(stack: FaultStack, name: string, seconds: number): Promise<{ url: string; durationSeconds: number }> {
  const video = await makeSampleVideo({ outPath: join(stack.mediaDir, name), seconds, width: 426, height: 240, preset: 'ultrafast' });
  return { url: `${stack.env.MEDIA_SERVER_URL}/${name}`, durationSeconds: video.durationSeconds };
}

export async function api<T = Record<string, unknown>>(method: string, route: string, token: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(process.env.API_URL + route, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/** POST /jobs; returns the job id. */
export async function submitJob(user: TestUser, url: string, options: Record<string, unknown>): Promise<{ jobId: string; creditsReserved: number }> {
  const created = await api<{ jobId: string; creditsReserved: number }>('POST', '/jobs', user.accessToken, { url, options });
  expect(created.status).toBe(202);
  return created.body;
}

/** The job record straight from DynamoDB (works while serverless-offline is down). */
export const jobRecord = (user: TestUser, jobId: string): Promise<JobRecord | undefined> => dynamoJobStore.get(user.sub, jobId);

export const isTerminal = (job: JobRecord | undefined) => !!job && ['succeeded', 'failed', 'cancelled'].includes(job.status);

/** Waits for the job to end (succeeded, failed or cancelled) and returns it. */
export const finished = (user: TestUser, jobId: string, timeoutMs: number): Promise<JobRecord> =>
  eventually(`job ${jobId} to finish`, async () => {
    const job = await jobRecord(user, jobId);
    return isTerminal(job) ? job : undefined;
  }, timeoutMs, 500);

export const clipsOf = (jobId: string): Promise<ClipRecord[]> => dynamoJobStore.listClips(jobId);

/**
 * No duplicate clip: the job's clip records, GET /jobs/{id}/clips and the clip objects in S3
 * agree — every clip id and index once, as many as the job counted — and each is ready.
 */
export async function expectClipsOnce(user: TestUser, job: JobRecord): Promise<ClipRecord[]> {
  const clips = await clipsOf(job.jobId);
  expect(clips.length).toBe(job.clipCount);
  expect(clips.length).toBeGreaterThan(0);
  expect(new Set(clips.map((c) => c.clipId)).size).toBe(clips.length);
  expect(new Set(clips.map((c) => c.index)).size).toBe(clips.length);
  expect(clips.every((c) => c.status === 'ready')).toBe(true);
  expect(job.clipsDone).toBe(clips.length);
  expect(job.clipsFailed).toBe(0);
  expect([...(job.countedClips ?? [])].sort()).toEqual(clips.map((c) => c.clipId).sort());

  const listed = await api<{ items: { id: string }[] }>('GET', `/jobs/${job.jobId}/clips`, user.accessToken);
  expect(listed.status).toBe(200);
  expect(listed.body.items.map((c) => c.id).sort()).toEqual(clips.map((c) => c.clipId).sort());

  const objects = await s3().send(new ListObjectsV2Command({ Bucket: process.env.MEDIA_BUCKET, Prefix: `clips/${job.jobId}/` }));
  const videos = (objects.Contents ?? []).map((o) => o.Key ?? '').filter((k) => k.endsWith('.mp4'));
  expect(videos.length).toBe(clips.length);
  expect(new Set(videos.map((k) => k.split('/')[2])).size).toBe(clips.length);
  return clips;
}

/**
 * Charged exactly once: one reserve and one settle entry for the job, no refund, the balance is
 * the allowance minus what the job says it charged, and the ledger invariant holds.
 */
export async function expectChargedOnce(user: TestUser, job: JobRecord, allowance: number): Promise<void> {
  expect(job.creditsCharged).toBeGreaterThan(0);
  const entries = (await ledgerOf(user.sub)).filter((e) => e.ref === job.jobId);
  expect(entries.map((e) => e.kind).sort()).toEqual(['reserve', 'settle']);
  const b = await expectInvariant(user.sub);
  expect(b).toMatchObject({ balance: allowance - job.creditsCharged!, reserved: 0, spent: job.creditsCharged });
  expect((await readBalance(user.sub)).spent).toBe(job.creditsCharged);
}

// ------------------------------------------------------------------ the queues (fauxqs inspection)

interface QueueState {
  messages: { ready: unknown[]; delayed: unknown[]; inflight: unknown[] };
}

export async function queueState(name: string): Promise<QueueState> {
  const res = await fetch(`${process.env.FAUXQS_ENDPOINT}/_fauxqs/queues/clipforge-local-${name}`, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`fauxqs inspection of ${name}: ${res.status}`);
  return (await res.json()) as QueueState;
}

export const messagesIn = async (name: string) => {
  const q = await queueState(name);
  return q.messages.ready.length + q.messages.delayed.length + q.messages.inflight.length;
};

/** Nothing was dead-lettered: every job queue's DLQ is empty. */
export async function expectNoDeadLetters(): Promise<void> {
  const names = ['download', 'probe', 'audio', 'transcribe', 'select', 'render', 'finalize', 'coordinator'];
  const counts = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await messagesIn(`${n}-dlq`)] as const)));
  expect(counts).toEqual(Object.fromEntries(names.map((n) => [n, 0])));
}

// ------------------------------------------------------------------ the OpenAI double's controls

const doubleBase = () => (process.env.OPENAI_BASE_URL ?? '').replace(/\/v1$/, '');

export async function doubleControl(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(doubleBase() + path, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`OpenAI double ${method} ${path} → ${res.status}`);
  return res.json();
}

export const transcriptionCalls = async (): Promise<RecordedRequest[]> =>
  ((await doubleControl('GET', '/__double/requests')) as RecordedRequest[]).filter((r) => r.path === '/v1/audio/transcriptions');
