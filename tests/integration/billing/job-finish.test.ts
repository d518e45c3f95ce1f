import { describe, expect, it, jest } from '@jest/globals';
import { grantCredits, refundCredits, reserveCredits, settleCredits, getBalance } from '../../../lib/billing/ledger.ts';
import { dynamoJobStore } from '../../../lib/jobs/store.ts';
import { stageDeadline } from '../../../lib/jobs/deadlines.ts';
import { newJobId } from '../../../lib/db/job.ts';
import { jobOptionsSchema } from '../../../lib/contracts/jobs.ts';
import { expectInvariant, ledgerOf, newUserId } from './helpers.ts';

/**
 * The job store ends a failed or cancelled job and returns its credit hold in ONE DynamoDB
 * transaction (DynamoDB Local): whoever reads the job as failed reads the refunded balance too.
 */
jest.setTimeout(90_000);

async function jobWithHold(userId: string, credits: number) {
  const jobId = newJobId();
  const now = new Date();
  await dynamoJobStore.create(
    {
      userId, jobId, source: { kind: 'url', url: 'https://media.example/v.mp4' }, options: jobOptionsSchema.parse({}),
      limits: { maxSourceSeconds: 900, maxClipsPerJob: 3, maxHeight: 1280, watermark: false, concurrentJobs: 5 },
      durationSeconds: credits * 60, creditsReserved: credits, deadlineAt: stageDeadline(null, now), now: now.toISOString(),
    },
    { maxActive: 5 },
  );
  await reserveCredits({ userId, jobId, credits });
  return { userId, jobId };
}

const failedPatch = { status: 'failed' as const, stage: null, progress: 100, error: { code: 'CORRUPT_MEDIA', message: 'broken' }, creditsCharged: 0 };
const refundsOf = async (userId: string, jobId: string) => (await ledgerOf(userId)).filter((e) => e.kind === 'refund' && e.ref === jobId);

describe('JobStore.finish and the credit hold (DynamoDB Local)', () => {
  it('failing a job refunds its hold in the same write, once', async () => {
    const userId = newUserId('finish');
    await grantCredits({ userId, ref: `test:${userId}`, credits: 10, source: 'admin' });
    const job = await jobWithHold(userId, 3);
    expect((await getBalance(userId)).balance).toBe(7);

    const failed = await dynamoJobStore.finish(job, failedPatch, new Date().toISOString());
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'CORRUPT_MEDIA' } });
    // Read right after the write: no window where the job is failed and the credits still held.
    expect(await getBalance(userId)).toEqual({ balance: 10, reserved: 0 });

    // Finishing again, and the repair path, change nothing.
    expect(await dynamoJobStore.finish(job, failedPatch, new Date().toISOString())).toBeNull();
    expect(await refundCredits({ ...job, reason: 'DEAD_LETTER' })).toEqual({ refunded: 0 });
    expect(await getBalance(userId)).toEqual({ balance: 10, reserved: 0 });
    const refunds = await refundsOf(userId, job.jobId);
    expect(refunds.map((e) => [e.amount, e.source])).toEqual([[3, 'CORRUPT_MEDIA']]);
    await expectInvariant(userId);
  });

  it('a cancel racing a repair refund returns the credits exactly once', async () => {
    const userId = newUserId('finish');
    await grantCredits({ userId, ref: `test:${userId}`, credits: 10, source: 'admin' });
    const jobs = await Promise.all([jobWithHold(userId, 2), jobWithHold(userId, 2), jobWithHold(userId, 2)]);
    expect((await getBalance(userId)).balance).toBe(4);
    await Promise.all(
      jobs.flatMap((job) => [
        dynamoJobStore.finish(job, { status: 'cancelled', stage: null, progress: 10, creditsCharged: 0 }, new Date().toISOString()),
        refundCredits({ ...job, reason: 'cancelled' }),
      ]),
    );
    expect(await getBalance(userId)).toEqual({ balance: 10, reserved: 0 });
    for (const job of jobs) {
      expect((await dynamoJobStore.get(userId, job.jobId))?.status).toBe('cancelled');
      expect(await refundsOf(userId, job.jobId)).toHaveLength(1);
    }
    await expectInvariant(userId);
  });

  it('a succeeded job keeps its hold for settlement; a settled hold is never refunded by a late failure', async () => {
    const userId = newUserId('finish');
    await grantCredits({ userId, ref: `test:${userId}`, credits: 10, source: 'admin' });
    const done = await jobWithHold(userId, 2);
    await settleCredits({ ...done, actualCredits: 2 });
    const ok = await dynamoJobStore.finish(done, { status: 'succeeded', stage: 'finalize', progress: 100, creditsCharged: 2 }, new Date().toISOString());
    expect(ok?.status).toBe('succeeded');
    expect(await getBalance(userId)).toEqual({ balance: 8, reserved: 0 });

    // The settlement happened, then the job is failed (a late stage error): it fails, the charge stands.
    const late = await jobWithHold(userId, 3);
    await settleCredits({ ...late, actualCredits: 1 });
    expect(await getBalance(userId)).toEqual({ balance: 7, reserved: 0 });
    expect(await dynamoJobStore.finish(late, failedPatch, new Date().toISOString())).toMatchObject({ status: 'failed' });
    expect(await getBalance(userId)).toEqual({ balance: 7, reserved: 0 });
    expect(await refundsOf(userId, late.jobId)).toHaveLength(0);
    await expectInvariant(userId);
  });
});
