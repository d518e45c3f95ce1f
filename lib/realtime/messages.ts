import type { JobEvent, Stage } from '../contracts/job-events.ts';
import {
  REALTIME_VERSION,
  pushMessageSchema,
  realtimeClipSchema,
  type PushMessage,
  type PushMessageType,
} from '../contracts/realtime.ts';
import { fanOutOf, outputField } from '../contracts/stage-table.ts';
import type { Allocated } from './ports.ts';
import { jobStream, userStream } from './sequences.ts';

/**
 * A message to push, before it has its sequence number. `jobId` is set for job messages: it is
 * what per-connection subscriptions filter on (credits.changed goes to every connection).
 */
export interface PlannedMessage {
  type: PushMessageType;
  userId: string;
  jobId?: string;
  stream: string;
  /** Stable across redeliveries of the same event. */
  messageKey: string;
  clipId?: string;
  build(allocated: Allocated): PushMessage;
}

const envelope = (seq: number, at: string) => ({ v: REALTIME_VERSION, seq, at });

function jobUpdated(event: JobEvent, fields: { status: string; stage: Stage | null; progress: number | null }): PlannedMessage {
  return {
    type: 'job.updated',
    userId: event.userId,
    jobId: event.jobId,
    stream: jobStream(event.jobId),
    messageKey: `${event.eventId}#job.updated`,
    build: ({ seq }) =>
      pushMessageSchema.parse({ type: 'job.updated', ...envelope(seq, event.at), jobId: event.jobId, ...fields }),
  };
}

/**
 * The client messages one job event turns into (pure). Mapping:
 *   job.requested                    → job.updated {status: queued, stage: null, progress: 0}
 *   job.progress                     → job.updated {status, stage, progress}
 *   job.cancelled                    → job.updated {status: cancelled, stage: null, progress: null}
 *   stage.completed (clip fan-out)   → clip.ready {clip}
 *   job.finished                     → job.finished {status, clips, creditsCharged, error?}
 *   stage.requested, stage.failed, other stage.completed → nothing (progress comes from job.progress;
 *   a failure reaches clients as job.finished with status failed)
 * credits.changed needs the balance, so the notifier adds it after job.finished (see notify.ts).
 */
export function planMessages(event: JobEvent): PlannedMessage[] {
  switch (event.type) {
    case 'job.requested':
      return [jobUpdated(event, { status: 'queued', stage: null, progress: 0 })];
    case 'job.progress':
      return [jobUpdated(event, { status: event.status, stage: event.stage ?? null, progress: event.progress })];
    case 'job.cancelled':
      return [jobUpdated(event, { status: 'cancelled', stage: null, progress: null })];
    case 'stage.completed': {
      // The clip fan-out announces each clip; its output schema is the one the runner published with.
      if (fanOutOf(event.stage)?.item !== 'clip') return [];
      const parsed = realtimeClipSchema.safeParse(outputField(event.stage, event.output, 'clip'));
      if (!parsed.success) return [];
      const clip = parsed.data;
      return [
        {
          type: 'clip.ready',
          userId: event.userId,
          jobId: event.jobId,
          stream: jobStream(event.jobId),
          messageKey: `${event.eventId}#clip.ready`,
          clipId: clip.id,
          build: ({ seq }) => pushMessageSchema.parse({ type: 'clip.ready', ...envelope(seq, event.at), jobId: event.jobId, clip }),
        },
      ];
    }
    case 'job.finished':
      return [
        {
          type: 'job.finished',
          userId: event.userId,
          jobId: event.jobId,
          stream: jobStream(event.jobId),
          messageKey: `${event.eventId}#job.finished`,
          build: ({ seq, clips }) =>
            pushMessageSchema.parse({
              type: 'job.finished',
              ...envelope(seq, event.at),
              jobId: event.jobId,
              status: event.status,
              clips,
              creditsCharged: event.creditsCharged,
              ...(event.error ? { error: event.error } : {}),
            }),
        },
      ];
    case 'stage.requested':
    case 'stage.failed':
      return [];
  }
}

/** credits.changed for the user of a finished job, with the balance read after the settlement. */
export function creditsChanged(event: JobEvent, balance: number): PlannedMessage {
  return {
    type: 'credits.changed',
    userId: event.userId,
    stream: userStream(event.userId),
    messageKey: `${event.eventId}#credits.changed`,
    build: ({ seq }) => pushMessageSchema.parse({ type: 'credits.changed', ...envelope(seq, event.at), balance }),
  };
}
