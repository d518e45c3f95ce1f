import { randomUUID } from 'node:crypto';
import { JOB_EVENT_VERSION, jobEventSchema, type JobEvent, type JobEventOf, type Stage } from '../../lib/contracts/job-events.ts';

/** Job-event factories for tests: valid by construction (parsed by the shared contract). */
const base = (jobId: string, userId: string) => ({
  version: JOB_EVENT_VERSION,
  eventId: randomUUID(),
  jobId,
  userId,
  at: new Date().toISOString(),
});

const valid = <T extends JobEvent>(e: T): T => jobEventSchema.parse(e) as T;

export const jobRequested = (jobId: string, userId = 'user-1'): JobEventOf<'job.requested'> =>
  valid({ ...base(jobId, userId), type: 'job.requested' });

export const stageRequested = (jobId: string, stage: Stage, opts: { userId?: string; clipId?: string } = {}): JobEventOf<'stage.requested'> =>
  valid({ ...base(jobId, opts.userId ?? 'user-1'), type: 'stage.requested', stage, ...(opts.clipId ? { clipId: opts.clipId } : {}) });

export const stageCompleted = (
  jobId: string,
  stage: Stage,
  opts: { userId?: string; clipId?: string; output?: Record<string, unknown> } = {},
): JobEventOf<'stage.completed'> =>
  valid({ ...base(jobId, opts.userId ?? 'user-1'), type: 'stage.completed', stage, output: opts.output ?? {}, ...(opts.clipId ? { clipId: opts.clipId } : {}) });

export const stageFailed = (
  jobId: string,
  stage: Stage,
  opts: { userId?: string; clipId?: string; code?: string; message?: string } = {},
): JobEventOf<'stage.failed'> =>
  valid({
    ...base(jobId, opts.userId ?? 'user-1'),
    type: 'stage.failed',
    stage,
    error: { code: opts.code ?? 'NOT_A_VIDEO', message: opts.message ?? 'The source is not a video' },
    ...(opts.clipId ? { clipId: opts.clipId } : {}),
  });

export const jobCancelled = (jobId: string, userId = 'user-1'): JobEventOf<'job.cancelled'> =>
  valid({ ...base(jobId, userId), type: 'job.cancelled' });

/** An SQS record carrying a job event the way raw SNS delivery puts it in the queue. */
export function sqsRecordOf(event: JobEvent, opts: { receiveCount?: number; queue?: string } = {}) {
  return {
    messageId: randomUUID(),
    receiptHandle: randomUUID(),
    body: JSON.stringify(event),
    attributes: {
      ApproximateReceiveCount: String(opts.receiveCount ?? 1),
      SentTimestamp: String(Date.now()),
      SenderId: 'sns',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: { type: { stringValue: event.type, dataType: 'String', stringListValues: [], binaryListValues: [] } },
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${opts.queue ?? 'clipforge-local-coordinator'}`,
    awsRegion: 'us-east-1',
  };
}
