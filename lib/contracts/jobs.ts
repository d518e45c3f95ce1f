import { z } from 'zod';
import { STAGES } from './job-events.ts';
import type { RouteSpec } from './routes.ts';

/**
 * Jobs API contracts (browser-safe): request/response schemas for /jobs, /jobs/quote, /uploads, and
 * the route registry read by the OpenAPI generator. The pipeline stores the same shapes.
 */

/** Codes a job can fail with (job.error.code); media codes come from lib/media/errors.ts. */
export const JobErrorCode = {
  SOURCE_NOT_FOUND: 'SOURCE_NOT_FOUND',
  NOT_A_VIDEO: 'NOT_A_VIDEO',
  CORRUPT_MEDIA: 'CORRUPT_MEDIA',
  NO_AUDIO: 'NO_AUDIO',
  EMPTY_SOURCE: 'EMPTY_SOURCE',
  UNSUPPORTED_CODEC: 'UNSUPPORTED_CODEC',
  /** A playlist, a concat list or another container we do not read (ffmpeg would open what it names). */
  UNSUPPORTED_FORMAT: 'UNSUPPORTED_FORMAT',
  SOURCE_TOO_LARGE: 'SOURCE_TOO_LARGE',
  URL_NOT_ALLOWED: 'URL_NOT_ALLOWED',
  DOWNLOAD_TIMEOUT: 'DOWNLOAD_TIMEOUT',
  VIDEO_TOO_LONG: 'VIDEO_TOO_LONG',
  NO_CLIPS: 'NO_CLIPS',
  ALL_CLIPS_FAILED: 'ALL_CLIPS_FAILED',
  STAGE_TIMEOUT: 'STAGE_TIMEOUT',
  DEAD_LETTER: 'DEAD_LETTER',
  UPLOAD_NOT_FOUND: 'UPLOAD_NOT_FOUND',
  IDEMPOTENCY_KEY_REUSED: 'IDEMPOTENCY_KEY_REUSED',
  JOB_FINISHED: 'JOB_FINISHED',
  RANGE_OUT_OF_BOUNDS: 'RANGE_OUT_OF_BOUNDS',
  INTERNAL: 'INTERNAL',
} as const;

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export const jobStatusSchema = z.enum(JOB_STATUSES);
export type JobStatus = z.infer<typeof jobStatusSchema>;
export const TERMINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];

export const ASPECTS = ['source', '9:16', '1:1'] as const;

export const jobOptionsSchema = z
  .object({
    clipCount: z.number().int().min(1).max(20).default(3),
    minSeconds: z.number().min(3).max(300).default(15),
    maxSeconds: z.number().min(3).max(300).default(60),
    aspect: z.enum(ASPECTS).default('source'),
    captions: z.boolean().default(true),
    language: z
      .string()
      .regex(/^[a-z]{2,3}(-[A-Za-z]{2,4})?$/, 'an ISO-639 language code such as "en"')
      .optional(),
    prompt: z.string().trim().min(1).max(500).optional(),
  })
  .refine((o) => o.minSeconds <= o.maxSeconds, { message: 'minSeconds must not exceed maxSeconds', path: ['minSeconds'] });
export type JobOptions = z.infer<typeof jobOptionsSchema>;

const httpUrl = z.url({ protocol: /^https?$/, error: 'an http(s) URL' }).max(2048);
const uploadKey = z
  .string()
  .regex(/^uploads\/[A-Za-z0-9_-]{1,128}\/[A-Za-z0-9_-]{1,64}\/[A-Za-z0-9._-]{1,200}$/, 'an uploadKey returned by POST /uploads');

/** The shortest range worth clipping (seconds). */
export const MIN_RANGE_SECONDS = 5;

/**
 * Part of the source to work on ("the 10 minutes around now" from the extension): only this part
 * is transcribed, searched for clips and billed. Seconds from the start of the source; an end past
 * the end of the video is clamped to it.
 */
export const sourceRangeSchema = z
  .object({ startSeconds: z.number().nonnegative().max(7 * 24 * 3600), endSeconds: z.number().positive().max(7 * 24 * 3600) })
  .refine((r) => r.endSeconds - r.startSeconds >= MIN_RANGE_SECONDS, {
    message: `endSeconds must be at least ${MIN_RANGE_SECONDS} s after startSeconds`,
    path: ['endSeconds'],
  });
export type SourceRange = z.infer<typeof sourceRangeSchema>;

const sourceFields = { url: httpUrl.optional(), uploadKey: uploadKey.optional(), range: sourceRangeSchema.optional() };
const exactlyOneSource = (v: { url?: string; uploadKey?: string }) => Boolean(v.url) !== Boolean(v.uploadKey);
const sourceMessage = { message: 'give exactly one of url or uploadKey', path: ['url'] };

export const quoteBodySchema = z.object(sourceFields).refine(exactlyOneSource, sourceMessage);
export type QuoteBody = z.infer<typeof quoteBodySchema>;

export const tierLimitsSchema = z.object({
  maxSourceSeconds: z.number(),
  maxClipsPerJob: z.number(),
  maxHeight: z.number(),
  watermark: z.boolean(),
  concurrentJobs: z.number(),
});
export const quoteResponseSchema = z.object({
  /** Seconds that will be processed and billed: the range when one is given, else the whole source. */
  durationSeconds: z.number(),
  /** Length of the whole source. */
  sourceDurationSeconds: z.number().optional(),
  /** The range as it will be used (clamped to the source). */
  range: sourceRangeSchema.optional(),
  credits: z.number().int(),
  balance: z.number().int(),
  affordable: z.boolean(),
  withinLimits: z.boolean(),
  limits: tierLimitsSchema,
});
export type QuoteResponse = z.infer<typeof quoteResponseSchema>;

export const createJobBodySchema = z
  .object({ ...sourceFields, options: jobOptionsSchema.default(jobOptionsSchema.parse({})) })
  .refine(exactlyOneSource, sourceMessage);
export type CreateJobBody = z.infer<typeof createJobBodySchema>;

export const createJobResponseSchema = z.object({
  jobId: z.string(),
  status: jobStatusSchema,
  creditsReserved: z.number().int(),
});

export const stageTimingSchema = z.object({
  status: z.enum(['pending', 'running', 'succeeded', 'failed', 'skipped']),
  requestedAt: z.string().optional(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  ms: z.number().optional(),
  attempts: z.number().optional(),
});
export type StageTiming = z.infer<typeof stageTimingSchema>;

export const jobErrorBodySchema = z.object({ code: z.string(), message: z.string() });

export const jobSchema = z.object({
  jobId: z.string(),
  status: jobStatusSchema,
  stage: z.enum(STAGES).nullable(),
  progress: z.number().min(0).max(100),
  source: z.object({ kind: z.enum(['url', 'upload']), url: z.string().optional(), uploadKey: z.string().optional(), range: sourceRangeSchema.optional() }),
  options: jobOptionsSchema,
  /** Seconds processed and billed (the range's length when the job has one). */
  durationSeconds: z.number().nullable(),
  creditsReserved: z.number().int(),
  creditsCharged: z.number().int().nullable(),
  clipCount: z.number().int(),
  clipsReady: z.number().int(),
  stages: z.record(z.string(), stageTimingSchema),
  error: jobErrorBodySchema.nullable(),
  /** Plain-language remarks, e.g. why there is no transcript. */
  notices: z.array(z.string()),
  transcriptSource: z.enum(['captions', 'whisper', 'none']).nullable(),
  selector: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().nullable(),
  /** Increases on every change; the ETag is derived from it. */
  seq: z.number().int(),
});
export type JobView = z.infer<typeof jobSchema>;

export const listJobsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(512).optional(),
});
export const listJobsResponseSchema = z.object({ items: z.array(jobSchema), nextCursor: z.string().nullable() });

export const getJobQuerySchema = z.object({
  /** Long-poll: wait up to this many seconds for the job to change (with If-None-Match, or from now). */
  wait: z.coerce.number().int().min(0).max(25).optional(),
});

export const clipViewSchema = z.object({
  id: z.string(),
  index: z.number().int(),
  status: z.enum(['pending', 'rendering', 'ready', 'failed']),
  start: z.number(),
  end: z.number(),
  durationSeconds: z.number().nullable(),
  title: z.string(),
  reason: z.string(),
  score: z.number(),
  transcript: z.string(),
  videoUrl: z.string().nullable(),
  thumbnailUrl: z.string().nullable(),
  captionsUrl: z.object({ srt: z.string(), vtt: z.string() }).nullable(),
  expiresAt: z.string().nullable(),
});
export type ClipView = z.infer<typeof clipViewSchema>;
export const clipsResponseSchema = z.object({ jobId: z.string(), status: jobStatusSchema, items: z.array(clipViewSchema) });

export const createUploadBodySchema = z.object({
  filename: z.string().trim().min(1).max(200),
  size: z.number().int().positive(),
  contentType: z.string().regex(/^video\/[A-Za-z0-9.+-]+$/, 'a video/* content type'),
});
export const createUploadResponseSchema = z.object({
  uploadKey: z.string(),
  uploadId: z.string(),
  partSize: z.number().int(),
  parts: z.array(z.object({ partNumber: z.number().int(), url: z.string() })),
  expiresAt: z.string(),
});
export const completeUploadBodySchema = z.object({
  uploadKey,
  uploadId: z.string().min(1).max(1024),
  parts: z.array(z.object({ partNumber: z.number().int().min(1).max(10000), etag: z.string().min(1).max(256) })).min(1).max(10000),
});
export const completeUploadResponseSchema = z.object({ uploadKey: z.string(), size: z.number().int() });

export const cancelJobResponseSchema = jobSchema;

export const jobsRoutes: RouteSpec[] = [
  {
    method: 'POST', path: '/jobs/quote', auth: 'user', summary: 'Probe a source (URL or upload) and quote its credits',
    body: quoteBodySchema, responses: { 200: quoteResponseSchema, 400: 'error', 401: 'error', 413: 'error' },
  },
  {
    method: 'POST', path: '/uploads', auth: 'user', summary: 'Start a presigned multipart upload of a video file',
    body: createUploadBodySchema, responses: { 201: createUploadResponseSchema, 400: 'error', 401: 'error', 413: 'error' },
  },
  {
    method: 'POST', path: '/uploads/complete', auth: 'user', summary: 'Complete a multipart upload',
    body: completeUploadBodySchema, responses: { 200: completeUploadResponseSchema, 400: 'error', 401: 'error', 404: 'error' },
  },
  {
    method: 'POST', path: '/jobs', auth: 'user', summary: 'Submit a video; honours the Idempotency-Key header',
    body: createJobBodySchema,
    responses: { 202: createJobResponseSchema, 400: 'error', 401: 'error', 402: 'error', 409: 'error', 413: 'error', 429: 'error' },
  },
  {
    method: 'GET', path: '/jobs', auth: 'user', summary: 'List my jobs, newest first',
    query: listJobsQuerySchema, responses: { 200: listJobsResponseSchema, 400: 'error', 401: 'error' },
  },
  {
    method: 'GET', path: '/jobs/{id}', auth: 'user', summary: 'A job (ETag/If-None-Match → 304; ?wait=N long-polls)',
    query: getJobQuerySchema, responses: { 200: jobSchema, 304: 'empty', 401: 'error', 404: 'error' },
  },
  {
    method: 'POST', path: '/jobs/{id}/cancel', auth: 'user', summary: 'Cancel a job: stages stop, credits refunded',
    responses: { 200: cancelJobResponseSchema, 401: 'error', 404: 'error', 409: 'error' },
  },
  {
    method: 'GET', path: '/jobs/{id}/clips', auth: 'user', summary: "A job's clips with short-lived URLs",
    responses: { 200: clipsResponseSchema, 401: 'error', 404: 'error' },
  },
];
