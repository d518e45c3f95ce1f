import type { JobError, JobEvent, Stage } from '../contracts/job-events.ts';
import { JobErrorCode } from '../contracts/jobs.ts';
import { logger } from '../http/logger.ts';
import { publishFinished, publishProgress } from './events.ts';
import type { Deps } from './ports.ts';
import type { JobRecord } from './store.ts';

export type FailureDeps = Pick<Deps, 'store' | 'events' | 'billing' | 'clock'>;

/**
 * Fails a live job (conditional: a job that already finished is left alone), which refunds its
 * credits in the same write, and announces it. Returns false when the job was not live any more.
 */
export async function failJob(job: JobRecord, error: JobError, deps: FailureDeps): Promise<boolean> {
  const updated = await deps.store.finish(
    job,
    { status: 'failed', stage: (job.stage as Stage | undefined) ?? null, progress: 100, error, creditsCharged: 0 },
    deps.clock.now().toISOString(),
  );
  if (!updated) return false;
  await publishFinished(deps.events, updated);
  await publishProgress(deps.events, updated);
  return true;
}

/**
 * A job event that exhausted its retries (maxReceiveCount) and landed in a dead-letter queue:
 * the job fails with DEAD_LETTER and its credits are refunded. Refunds are idempotent, so a
 * failed job seen again is refunded again safely (a lost refund gets redone).
 */
export async function handleDeadLetter(event: JobEvent, deps: FailureDeps): Promise<string> {
  const job = await deps.store.get(event.userId, event.jobId);
  if (!job) return 'no such job';
  const where = 'stage' in event && event.stage ? `the ${event.stage} stage` : `the ${event.type} event`;
  if (job.status === 'queued' || job.status === 'running') {
    const failed = await failJob(job, { code: JobErrorCode.DEAD_LETTER, message: `Processing failed repeatedly at ${where}; credits were refunded` }, deps);
    return failed ? 'failed the job' : 'job already finished';
  }
  if (job.status === 'failed') {
    await deps.billing.refundCredits({ userId: job.userId, jobId: job.jobId, reason: JobErrorCode.DEAD_LETTER });
    return 'job already failed (refund ensured)';
  }
  return `job already ${job.status}`;
}

/**
 * Fails every active job whose stage deadline passed (a lost message, a crashed stage, a job that
 * never left the queue), with a refund. Run on a schedule; tests call it with a chosen clock.
 */
export async function sweepStuckJobs(deps: FailureDeps, limit = 100): Promise<{ checked: number; failed: string[] }> {
  const now = deps.clock.now().toISOString();
  const overdue = await deps.store.overdue(now, limit);
  const failed: string[] = [];
  for (const candidate of overdue) {
    // The index is eventually consistent: re-read before acting.
    const job = await deps.store.get(candidate.userId, candidate.jobId);
    if (!job || (job.status !== 'queued' && job.status !== 'running') || !job.deadlineAt || job.deadlineAt > now) continue;
    const stage = job.stage ?? 'queue';
    const ok = await failJob(job, { code: JobErrorCode.STAGE_TIMEOUT, message: `The job did not finish its ${stage} stage in time; credits were refunded` }, deps);
    if (ok) failed.push(job.jobId);
  }
  if (failed.length) logger.warn('swept stuck jobs', { failed });
  return { checked: overdue.length, failed };
}
