import { z } from 'zod';
import { jobErrorSchema, stageSchema } from './job-events.ts';
import { stageClipSchema } from './stage-table.ts';

/**
 * Real-time messages pushed on the WebSocket API (server → client) and the requests a client may
 * send (client → server). Browser-safe: zod only. The portal and the extension parse every frame
 * with `serverMessageSchema`.
 *
 * Every pushed message carries `v` (contract version) and `seq`: a per-stream sequence number,
 * where the stream is the job (`jobId`) for job messages and the user for `credits.changed`.
 * `seq` grows with each message of a stream; a redelivered message keeps its `seq`, so clients
 * drop any `seq` they already have and sort by `seq`. Gaps are possible (rare): treat them as
 * "something was missed" and fetch GET /jobs/{id}.
 */
export const REALTIME_VERSION = 1 as const;

const envelope = {
  v: z.literal(REALTIME_VERSION),
  seq: z.number().int().positive(),
  /** When the underlying job event happened (ISO 8601). */
  at: z.iso.datetime(),
};

/** A rendered clip as announced by `clip.ready` (URLs come from GET /jobs/{id}/clips). */
/** The clip of a clip.ready message: what the clip stage announces (one schema, both sides). */
export const realtimeClipSchema = stageClipSchema;
export type RealtimeClip = z.infer<typeof realtimeClipSchema>;

export const jobUpdatedMessage = z.object({
  type: z.literal('job.updated'),
  ...envelope,
  jobId: z.string(),
  status: z.string(),
  /** The stage the job is in (null before the first stage or when unknown). */
  stage: stageSchema.nullable(),
  /** 0–100, or null when unknown (e.g. while a cancellation is in flight). */
  progress: z.number().min(0).max(100).nullable(),
});

export const clipReadyMessage = z.object({
  type: z.literal('clip.ready'),
  ...envelope,
  jobId: z.string(),
  clip: realtimeClipSchema,
});

export const jobFinishedMessage = z.object({
  type: z.literal('job.finished'),
  ...envelope,
  jobId: z.string(),
  status: z.enum(['succeeded', 'failed', 'cancelled']),
  /** Number of clips announced for this job (clip.ready messages). */
  clips: z.number().int().nonnegative(),
  creditsCharged: z.number().int().nonnegative(),
  error: jobErrorSchema.optional(),
});

export const creditsChangedMessage = z.object({
  type: z.literal('credits.changed'),
  ...envelope,
  balance: z.number().int(),
});

/** Pushed by the notifier: one of the four versioned messages. */
export const pushMessageSchema = z.discriminatedUnion('type', [
  jobUpdatedMessage,
  clipReadyMessage,
  jobFinishedMessage,
  creditsChangedMessage,
]);
export type PushMessage = z.infer<typeof pushMessageSchema>;
export type PushMessageType = PushMessage['type'];
export type PushMessageOf<T extends PushMessageType> = Extract<PushMessage, { type: T }>;

/** Replies to a client's own requests (not sequenced). */
export const pongMessage = z.object({ type: z.literal('pong'), v: z.literal(REALTIME_VERSION), at: z.iso.datetime() });
export const subscribedMessage = z.object({
  type: z.literal('subscribed'),
  v: z.literal(REALTIME_VERSION),
  jobId: z.string(),
  /** Jobs this connection is now limited to. */
  jobIds: z.array(z.string()),
});
export const errorMessage = z.object({
  type: z.literal('error'),
  v: z.literal(REALTIME_VERSION),
  code: z.string(),
  message: z.string(),
});
export const replyMessageSchema = z.discriminatedUnion('type', [pongMessage, subscribedMessage, errorMessage]);
export type ReplyMessage = z.infer<typeof replyMessageSchema>;

/** Everything a client can receive on the socket. */
export const serverMessageSchema = z.discriminatedUnion('type', [
  jobUpdatedMessage,
  clipReadyMessage,
  jobFinishedMessage,
  creditsChangedMessage,
  pongMessage,
  subscribedMessage,
  errorMessage,
]);
export type ServerMessage = z.infer<typeof serverMessageSchema>;

/** Client → server, routed by API Gateway on `action`. */
export const pingRequest = z.object({ action: z.literal('ping') });
export const subscribeRequest = z.object({ action: z.literal('subscribe'), jobId: z.string().min(1).max(64) });
export const clientRequestSchema = z.discriminatedUnion('action', [pingRequest, subscribeRequest]);
export type ClientRequest = z.infer<typeof clientRequestSchema>;

/** At most this many job subscriptions per connection. */
export const MAX_SUBSCRIPTIONS = 20;

/** Query string of the $connect request: the Cognito access token (browsers cannot set headers). */
export const connectQuerySchema = z.object({ token: z.string().min(20).max(8192) });
