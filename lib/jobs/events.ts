import { createHash } from 'node:crypto';
import type { JobError, Stage } from '../contracts/job-events.ts';
import type { JobRecord } from './store.ts';
import type { EventsPort } from './ports.ts';

/**
 * Deterministic event ids: an event caused by another gets an id derived from its cause, so a
 * retried handler republishes the very same event and downstream idempotency (keyed on eventId)
 * drops the copy.
 */
export function derivedEventId(parent: string, purpose: string): string {
  const h = createHash('sha256').update(`${parent}|${purpose}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

const ref = (job: Pick<JobRecord, 'userId' | 'jobId'>) => ({ jobId: job.jobId, userId: job.userId });

export async function publishProgress(events: EventsPort, job: JobRecord): Promise<void> {
  await events.publish({
    type: 'job.progress',
    ...ref(job),
    status: job.status,
    ...(job.stage ? { stage: job.stage as Stage } : {}),
    progress: Math.max(0, Math.min(100, job.progress)),
  });
}

/** job.finished has one id per job: however often it is republished, consumers see one event. */
export async function publishFinished(events: EventsPort, job: JobRecord): Promise<void> {
  if (job.status !== 'succeeded' && job.status !== 'failed' && job.status !== 'cancelled') return;
  await events.publish({
    type: 'job.finished',
    ...ref(job),
    eventId: derivedEventId(job.jobId, 'job.finished'),
    status: job.status,
    creditsCharged: job.creditsCharged ?? 0,
    ...(job.error ? { error: job.error as JobError } : {}),
  });
}
