import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readBalance } from '../../lib/billing/ledger.ts';
import {
  doubleControl,
  expectChargedOnce,
  expectClipsOnce,
  expectNoDeadLetters,
  finished,
  freeUser,
  messagesIn,
  eventually,
  sampleVideo,
  startFaultStack,
  submitJob,
  transcriptionCalls,
  type FaultStack,
} from './support.ts';

/**
 * Fault: a stage outlives its function timeout. The OpenAI double holds the first transcription
 * call far longer than the transcribe function's timeout; serverless-offline enforces it as Lambda
 * does — the invocation fails with "[504] - Lambda timeout." and its worker thread is terminated
 * (serverless-offline's LambdaFunction.runHandler races the handler against the timeout, then
 * HandlerRunner.cleanup() ends the worker) — and serverless-offline-sqs leaves the message
 * undeleted, so SQS delivers it again once its visibility timeout has passed. The second attempt
 * gets a prompt answer: the job succeeds, charged once, every clip once, nothing dead-lettered.
 *
 * The retry clock is compressed (stack option consumerTimeouts; see runtime-crash.test.ts): the
 * transcribe function gets a 15 s timeout instead of the stage table's 900 s, and its queue a 30 s
 * visibility timeout instead of 6 × 900 s. Visibility > timeout, as on AWS: by the time the message
 * comes back, the timed-out attempt's in-progress idempotency record has expired.
 */
const TIMEOUT = 15;
const VISIBILITY = 2 * TIMEOUT;
const HOLD_MS = 120_000;

let stack: FaultStack;
let video: { url: string };

beforeAll(async () => {
  stack = await startFaultStack(import.meta.filename, { consumerTimeouts: { transcribe: TIMEOUT }, visibilityFactor: VISIBILITY / TIMEOUT });
  video = await sampleVideo(stack, 'timeout-talk.mp4', 45);
}, 420_000);

afterAll(async () => {
  await stack?.stop();
}, 120_000);

describe('a stage function times out', () => {
  it('transcribe outlives its timeout: retried after the visibility timeout, the job finishes, charged once', async () => {
    await doubleControl('POST', '/__double/reset');
    await doubleControl('POST', '/__double/delay', { path: '/v1/audio/transcriptions', ms: HOLD_MS, count: 1 });
    const user = await freeUser('timeout');
    const allowance = (await readBalance(user.sub)).balance;
    const { jobId } = await submitJob(user, video.url, { clipCount: 2, minSeconds: 8, maxSeconds: 20, aspect: 'source', captions: true });

    const job = await finished(user, jobId, 360_000);
    expect(job).toMatchObject({ status: 'succeeded', progress: 100 });
    expect(job.error).toBeUndefined();
    expect(job.stages.transcribe).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(job.transcriptSource).not.toBe('none');

    // The first call was cut off by the function timeout (long before the double would have
    // answered); the second came from SQS's redelivery after the visibility timeout, not from an
    // immediate retry of the SDK or the runtime, and was answered.
    const calls = await transcriptionCalls();
    expect(calls.map((c) => ({ status: c.status, aborted: Boolean(c.aborted) }))).toEqual([
      { status: 0, aborted: true },
      { status: 200, aborted: false },
    ]);
    const [first, second] = calls as [(typeof calls)[number], (typeof calls)[number]];
    expect(first.delayedMs).toBeLessThanOrEqual(TIMEOUT * 1000 + 2000);
    const cutOffAt = Date.parse(first.at) + first.delayedMs!;
    expect(Date.parse(second.at) - cutOffAt).toBeGreaterThanOrEqual((VISIBILITY - TIMEOUT) * 1000 - 2000);
    // serverless-offline reported the one timeout.
    expect(stack.log('serverless-offline').match(/\[504\] - Lambda timeout\./g)).toHaveLength(1);

    await expectClipsOnce(user, job);
    await expectChargedOnce(user, job, allowance);
    await expectNoDeadLetters();
    await eventually('the transcribe queue to drain', async () => ((await messagesIn('transcribe')) === 0 ? true : undefined), 60_000, 500);
  }, 600_000);
});
