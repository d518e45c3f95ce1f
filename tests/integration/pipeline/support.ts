import fs from 'node:fs';
import path from 'node:path';
import { expect } from '@jest/globals';
import { getBalance } from '../../../lib/billing/index.ts';

/** Helpers of the pipeline integration tests (the harness stack: API_URL, MEDIA_DIR, MEDIA_SERVER_URL). */
export function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run under the integration harness`);
  return v;
}

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

export async function api<T = Record<string, unknown>>(
  method: string,
  route: string,
  token: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiResponse<T>> {
  const res = await fetch(env('API_URL') + route, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, headers: res.headers };
}

export interface JobBody {
  jobId: string;
  status: string;
  stage: string | null;
  progress: number;
  seq: number;
  error: { code: string; message: string } | null;
  creditsCharged: number | null;
  creditsReserved: number;
  clipCount: number;
  clipsReady: number;
  stages: Record<string, { status: string; ms?: number }>;
  notices: string[];
  transcriptSource: string | null;
}

/** Follows a job with ?wait long-polls until `done(job)` or the time runs out. */
export async function follow(token: string, jobId: string, done: (j: JobBody) => boolean, timeoutMs = 240_000): Promise<JobBody> {
  const deadline = Date.now() + timeoutMs;
  let etag: string | undefined;
  let last: JobBody | undefined;
  while (Date.now() < deadline) {
    const res = await api<JobBody>('GET', `/jobs/${jobId}?wait=10`, token, undefined, etag ? { 'if-none-match': etag } : {});
    if (res.status === 200) {
      last = res.body;
      etag = res.headers.get('etag') ?? undefined;
      if (done(last)) return last;
    } else {
      expect(res.status).toBe(304);
    }
  }
  throw new Error(`job ${jobId} did not reach the expected state in time; last: ${JSON.stringify(last)}`);
}

export const isFinished = (j: JobBody) => ['succeeded', 'failed', 'cancelled'].includes(j.status);

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000, everyMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const balanceOf = async (userId: string) => (await getBalance(userId)).balance;

export function mediaPath(name: string): string {
  return path.join(env('MEDIA_DIR'), name);
}
export function mediaUrl(name: string): string {
  return `${env('MEDIA_SERVER_URL')}/${name}`;
}
export function writeMedia(name: string, content: string | Buffer): string {
  fs.writeFileSync(mediaPath(name), content);
  return mediaUrl(name);
}
