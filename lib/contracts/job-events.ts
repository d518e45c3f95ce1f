import { z } from 'zod';
import { STAGE_NAMES } from './stage-table.ts';

/**
 * The job-event contract: published on the job-events SNS topic, fanned out to SQS queues by filter
 * policies on the `type` and `stage` message attributes. Producer and consumer both import this
 * file; every record is validated on the way in and on the way out.
 */
/** The stage names, in order, from the stage table (lib/contracts/stage-table.ts). */
export const STAGES = STAGE_NAMES;
export const stageSchema = z.enum(STAGES);
export type Stage = z.infer<typeof stageSchema>;

export const JOB_EVENT_VERSION = 1 as const;

const base = {
  version: z.literal(JOB_EVENT_VERSION),
  /** Unique per event: the idempotency key (SQS message ids change on redelivery). */
  eventId: z.string().min(8).max(128),
  jobId: z.string().min(1).max(64),
  userId: z.string().min(1).max(128),
  at: z.iso.datetime(),
};

export const jobErrorSchema = z.object({ code: z.string(), message: z.string() });
export type JobError = z.infer<typeof jobErrorSchema>;

export const jobRequestedEvent = z.object({ ...base, type: z.literal('job.requested') });
export const stageRequestedEvent = z.object({
  ...base,
  type: z.literal('stage.requested'),
  stage: stageSchema,
  /** A fan-out stage (STAGE_DEFS[stage].fanOut) gets one event per item. */
  clipId: z.string().optional(),
});
export const stageCompletedEvent = z.object({
  ...base,
  type: z.literal('stage.completed'),
  stage: stageSchema,
  clipId: z.string().optional(),
  /**
   * Small, stage-specific result (keys of S3 objects, counts); large data lives in S3. Its shape is
   * the stage's own schema (`STAGE_DEFS[stage].output`): the runner parses it before publishing,
   * consumers parse it with the same schema (stageOutput in lib/jobs/stage-output.ts).
   */
  output: z.record(z.string(), z.unknown()).default({}),
});
export const stageFailedEvent = z.object({
  ...base,
  type: z.literal('stage.failed'),
  stage: stageSchema,
  clipId: z.string().optional(),
  error: jobErrorSchema,
});
export const jobCancelledEvent = z.object({ ...base, type: z.literal('job.cancelled') });
export const jobFinishedEvent = z.object({
  ...base,
  type: z.literal('job.finished'),
  status: z.enum(['succeeded', 'failed', 'cancelled']),
  creditsCharged: z.number().int().nonnegative(),
  error: jobErrorSchema.optional(),
});
/** Progress made visible to clients (the notifier turns it into a `job.updated` message). */
export const jobProgressEvent = z.object({
  ...base,
  type: z.literal('job.progress'),
  status: z.string(),
  stage: stageSchema.optional(),
  progress: z.number().min(0).max(100),
});

export const jobEventSchema = z.discriminatedUnion('type', [
  jobRequestedEvent,
  stageRequestedEvent,
  stageCompletedEvent,
  stageFailedEvent,
  jobCancelledEvent,
  jobFinishedEvent,
  jobProgressEvent,
]);
export type JobEvent = z.infer<typeof jobEventSchema>;
export type JobEventType = JobEvent['type'];
export type JobEventOf<T extends JobEventType> = Extract<JobEvent, { type: T }>;
export const JOB_EVENT_TYPES = jobEventSchema.options.map((o) => o.shape.type.value) as JobEventType[];

/** Which event types the coordinator consumes (mirrored by its SNS filter policy; a test checks). */
export const COORDINATOR_EVENT_TYPES: JobEventType[] = ['job.requested', 'stage.completed', 'stage.failed', 'job.cancelled'];

/** SNS message attributes used by filter policies. */
export function messageAttributesOf(event: JobEvent): Record<string, { DataType: 'String'; StringValue: string }> {
  const attrs: Record<string, { DataType: 'String'; StringValue: string }> = {
    type: { DataType: 'String', StringValue: event.type },
  };
  if ('stage' in event && event.stage) attrs.stage = { DataType: 'String', StringValue: event.stage };
  return attrs;
}
