import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { readBalance } from '../../lib/billing/ledger.ts';
import type { TestUser } from '../support/users.ts';
import {
  clipsOf,
  doubleControl,
  eventually,
  expectChargedOnce,
  expectClipsOnce,
  expectNoDeadLetters,
  finished,
  freeUser,
  isTerminal,
  jobRecord,
  messagesIn,
  queueState,
  sampleVideo,
  startFaultStack,
  submitJob,
  transcriptionCalls,
  type FaultStack,
} from './support.ts';

/**
 * Fault: the Lambda runtime dies mid-stage. serverless-offline's whole process group (every
 * function's worker thread, the SQS pollers, the ffmpeg children) is killed with SIGKILL while a
 * stage is working, then started again. The SQS message of that attempt was received and never
 * deleted, so it comes back after its visibility timeout; the job must still succeed, be charged
 * exactly once, and have every clip exactly once.
 *
 * The retry clock is compressed (stack option consumerTimeouts): on AWS, and in the local stack by
 * default, a stage queue's VisibilityTimeout is 6 × the stage's function timeout — 5400 s for render
 * and transcribe — so a crashed attempt is retried after 90 minutes. Here render and transcribe run
 * with a 30 s function timeout and their queues with 2 × that (60 s), keeping visibility > timeout
 * as on AWS (so the crashed attempt's in-progress idempotency record has expired when the message
 * comes back); the coordinator likewise (20 s / 40 s) in case the kill lands while it runs.
 */
const STAGE_TIMEOUT = 30;
const FACTOR = 2;

let stack: FaultStack;
let video: { url: string; durationSeconds: number };

beforeAll(async () => {
  stack = await startFaultStack(import.meta.filename, {
    consumerTimeouts: { render: STAGE_TIMEOUT, transcribe: STAGE_TIMEOUT, coordinator: 20 },
    visibilityFactor: FACTOR,
  });
  video = await sampleVideo(stack, 'crash-talk.mp4', 50);
}, 420_000);

afterAll(async () => {
  await stack?.stop();
}, 120_000);

beforeEach(async () => {
  await doubleControl('POST', '/__double/reset');
});

// Captions burned in at 9:16: every clip is re-encoded (a few seconds each), a window to kill in.
const options = { clipCount: 2, minSeconds: 8, maxSeconds: 20, aspect: '9:16', captions: true };

/** SIGKILL of serverless-offline's process group; the attempt's message stays in flight in SQS. */
async function crash(stage: 'render' | 'transcribe'): Promise<number> {
  await stack.kill('serverless-offline', 'SIGKILL');
  expect(stack.pid('serverless-offline')).toBeUndefined();
  // The attempt that died was received and never deleted: SQS holds it until its visibility timeout.
  expect((await queueState(stage)).messages.inflight.length).toBeGreaterThanOrEqual(1);
  return Date.now();
}

async function restart(killedAt: number): Promise<void> {
  await stack.restart('serverless-offline');
  expect(stack.pid('serverless-offline')).toEqual(expect.any(Number));
  process.stdout.write(`[faults] serverless-offline was down for ${Math.round((Date.now() - killedAt) / 1000)} s\n`);
}

async function expectFinishedOnce(user: TestUser, jobId: string, allowance: number) {
  // Redelivery after the visibility timeout, then the rest of the pipeline.
  const job = await finished(user, jobId, 300_000);
  expect(job).toMatchObject({ status: 'succeeded', progress: 100 });
  expect(job.error).toBeUndefined();
  for (const s of ['download', 'probe', 'audio', 'transcribe', 'select', 'render', 'finalize']) expect(job.stages[s]?.status).toBe('succeeded');
  await expectClipsOnce(user, job);
  await expectChargedOnce(user, job, allowance);
  await expectNoDeadLetters();
  // Nothing left over in the queues of the pipeline: every message was handled and deleted.
  await eventually('the stage queues to drain', async () => ((await Promise.all(['transcribe', 'render', 'finalize', 'coordinator'].map(messagesIn))).every((n) => n === 0) ? true : undefined), 60_000, 500);
  return job;
}

describe('the Lambda runtime is killed mid-stage and restarted', () => {
  it('mid-render: the job still finishes, charged once, every clip once', async () => {
    const user = await freeUser('crash-render');
    const allowance = (await readBalance(user.sub)).balance;
    const { jobId } = await submitJob(user, video.url, options);

    // Until a clip is being rendered (its record says "rendering", written as ffmpeg starts).
    const atKill = await eventually('a clip of the job to be rendering', async () => {
      const [job, clips] = await Promise.all([jobRecord(user, jobId), clipsOf(jobId)]);
      if (isTerminal(job) || (clips.length > 0 && clips.every((c) => c.status === 'ready'))) return { missed: true, job, clips };
      if (job?.stage === 'render' && clips.some((c) => c.status === 'rendering')) return { missed: false, job, clips };
      return undefined;
    }, 240_000, 50);
    expect(atKill.missed).toBe(false);
    expect(atKill.job?.status).toBe('running');

    const killedAt = await crash('render');
    // Nothing writes while the runtime is down: what is "rendering" now was cut off mid-render.
    const interrupted = (await clipsOf(jobId)).filter((c) => c.status === 'rendering').map((c) => c.clipId);
    expect(interrupted.length).toBeGreaterThan(0);
    await restart(killedAt);

    const job = await expectFinishedOnce(user, jobId, allowance);
    // The clips cut off mid-render were rendered again, once each.
    const after = await clipsOf(jobId);
    for (const id of interrupted) expect(after.find((c) => c.clipId === id)).toMatchObject({ status: 'ready', renderMs: expect.any(Number) });
    expect(job.clipsDone).toBe(job.clipCount);
  }, 600_000);

  it('mid-transcribe: the job still finishes, charged once, transcribed again once', async () => {
    // The first transcription call is held 25 s (less than the stage's 30 s timeout): the kill lands in it.
    await doubleControl('POST', '/__double/delay', { path: '/v1/audio/transcriptions', ms: 25_000, count: 1 });
    const user = await freeUser('crash-transcribe');
    const allowance = (await readBalance(user.sub)).balance;
    const { jobId } = await submitJob(user, video.url, options);

    const atKill = await eventually('the transcribe stage to be waiting on the model', async () => {
      const [job, calls] = await Promise.all([jobRecord(user, jobId), transcriptionCalls()]);
      if (isTerminal(job) || calls.some((c) => c.status !== 0)) return { missed: true, job };
      if (job?.stage === 'transcribe' && job.stages.transcribe?.status === 'running' && calls.length === 1) return { missed: false, job };
      return undefined;
    }, 240_000, 50);
    expect(atKill.missed).toBe(false);
    expect(atKill.job?.stages.transcribe?.attempts).toBe(1);

    const killedAt = await crash('transcribe');
    // The double saw the dead runtime's connection go away without an answer.
    const [first] = await eventually('the held call to be cut off', async () => {
      const calls = await transcriptionCalls();
      return calls[0]?.aborted ? calls : undefined;
    }, 30_000);
    expect(first).toMatchObject({ status: 0, aborted: true });
    await restart(killedAt);

    const job = await expectFinishedOnce(user, jobId, allowance);
    expect(job.stages.transcribe?.attempts).toBe(2);
    expect(job.transcriptSource).not.toBe('none');
    // Exactly one more transcription, answered: the retry, not a duplicate run.
    const calls = await transcriptionCalls();
    expect(calls.map((c) => ({ status: c.status, aborted: Boolean(c.aborted) }))).toEqual([
      { status: 0, aborted: true },
      { status: 200, aborted: false },
    ]);
  }, 600_000);
});
