import { createHash, randomUUID } from 'node:crypto';
import { ErrorCode } from '../contracts/errors.ts';
import type { Stage } from '../contracts/job-events.ts';
import {
  JobErrorCode,
  jobOptionsSchema,
  type ClipView,
  type CreateJobBody,
  type JobView,
  type QuoteBody,
  type QuoteResponse,
  type StageTiming,
} from '../contracts/jobs.ts';
import { BadRequestError, ConflictError, HttpError, NotFoundError, UnavailableError, ValidationError } from '../http/errors.ts';
import { PermanentError } from '../http/sqs.ts';
import { logger } from '../http/logger.ts';
import { newJobId } from '../db/job.ts';
import { ttlIn } from '../db/table.ts';
import { stageDeadline } from './deadlines.ts';
import { effectiveSpan, RangeOutOfBoundsError, type Span } from './range.ts';
import { derivedEventId, publishFinished, publishProgress } from './events.ts';
import type { AccountLimits, Deps, MediaInfo } from './ports.ts';
import { InvalidCursorError, type JobRecord } from './store.ts';
import { keys } from './keys.ts';

/**
 * The jobs API as plain functions (the HTTP handlers only parse and map): quote, create with
 * credits + idempotency, read / long-poll, list, cancel, clips, uploads.
 */
export type ApiDeps = Pick<Deps, 'store' | 'events' | 'billing' | 'storage' | 'media' | 'clock'>;

const CLIP_URL_SECONDS = 15 * 60;
const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

export function jobView(job: JobRecord): JobView {
  const options = jobOptionsSchema.parse(job.options);
  return {
    jobId: job.jobId,
    status: job.status,
    stage: (job.stage as Stage | undefined) ?? null,
    progress: job.progress,
    source: job.source,
    options,
    durationSeconds: job.durationSeconds ?? null,
    creditsReserved: job.creditsReserved,
    creditsCharged: job.creditsCharged ?? null,
    clipCount: job.clipCount,
    clipsReady: job.clipsDone,
    stages: job.stages as Record<string, StageTiming>,
    error: job.error ?? null,
    notices: job.notices,
    transcriptSource: (job.transcriptSource as JobView['transcriptSource'] | undefined) ?? null,
    selector: job.selector ?? null,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    finishedAt: job.finishedAt ?? null,
    seq: job.seq,
  };
}

export const etagOf = (job: Pick<JobRecord, 'jobId' | 'seq'>): string => `"${job.jobId}.${job.seq}"`;

/** A media verdict on the source as an HTTP error: too large → 413, anything else → 400 with its code. */
function sourceError(err: PermanentError): HttpError {
  if (err.code === 'SOURCE_TOO_LARGE') return new HttpError(413, ErrorCode.PAYLOAD_TOO_LARGE, err.message);
  return new HttpError(400, err.code, err.message);
}

function assertOwnUpload(userId: string, key: string): void {
  if (!key.startsWith(keys.uploadPrefix(userId))) throw new NotFoundError('No such upload');
}

/** Probes the source: a URL through the SSRF-safe path, an upload from our bucket. */
async function probeSource(userId: string, source: QuoteBody, deps: ApiDeps): Promise<MediaInfo> {
  try {
    if (source.uploadKey) {
      assertOwnUpload(userId, source.uploadKey);
      if (!(await deps.storage.size(source.uploadKey))) throw new HttpError(404, JobErrorCode.UPLOAD_NOT_FOUND, 'The upload does not exist or is not complete');
      return await deps.media.probe(await deps.storage.presignGet(source.uploadKey, 600));
    }
    return await deps.media.probeRemote(source.url ?? '');
  } catch (err) {
    if (err instanceof PermanentError) throw sourceError(err);
    if (err instanceof HttpError) throw err;
    logger.warn('source probe failed', { err });
    throw new UnavailableError('The source could not be reached right now; try again shortly');
  }
}

function tooLong(span: Span, limits: AccountLimits): HttpError {
  return new HttpError(
    413,
    ErrorCode.VIDEO_TOO_LONG,
    `The ${span.partial ? 'range' : 'video'} is ${Math.ceil(span.seconds / 60)} min long; your plan allows up to ${Math.floor(limits.maxSourceSeconds / 60)} min${span.partial ? '' : ' (or choose a range)'}`,
    { durationSeconds: span.seconds, maxSourceSeconds: limits.maxSourceSeconds },
  );
}

/** The part of the probed source the request asks for (400 when the range lies outside it). */
function spanOf(info: MediaInfo, body: QuoteBody): Span {
  try {
    return effectiveSpan(info.durationSeconds, body.range);
  } catch (err) {
    if (err instanceof RangeOutOfBoundsError) throw new ValidationError(err.message, { 'range.startSeconds': [err.message] });
    throw err;
  }
}

const rangeOf = (span: Span) => (span.partial ? { range: { startSeconds: span.startSeconds, endSeconds: span.endSeconds } } : {});

function publicLimits(l: AccountLimits): AccountLimits {
  return { maxSourceSeconds: l.maxSourceSeconds, maxClipsPerJob: l.maxClipsPerJob, maxHeight: l.maxHeight, watermark: l.watermark, concurrentJobs: l.concurrentJobs };
}

export async function quote(userId: string, body: QuoteBody, deps: ApiDeps): Promise<QuoteResponse> {
  // The balance is read after the account: a new user's first getAccount grants the free allowance.
  const accountThenBalance = async () => {
    const account = await deps.billing.getAccount(userId);
    return [account, await deps.billing.getBalance(userId)] as const;
  };
  const [info, [account, balance]] = await Promise.all([probeSource(userId, body, deps), accountThenBalance()]);
  const span = spanOf(info, body);
  const credits = deps.billing.creditsForDuration(span.seconds);
  return {
    durationSeconds: span.seconds,
    sourceDurationSeconds: info.durationSeconds,
    ...rangeOf(span),
    credits,
    balance,
    affordable: balance >= credits,
    withinLimits: span.seconds <= account.limits.maxSourceSeconds,
    limits: publicLimits(account.limits),
  };
}

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{1,128}$/;

function requestHash(body: CreateJobBody): string {
  return createHash('sha256')
    .update(JSON.stringify({ url: body.url ?? null, uploadKey: body.uploadKey ?? null, range: body.range ?? null, options: body.options }))
    .digest('hex');
}

export interface CreatedJob {
  jobId: string;
  status: JobRecord['status'];
  creditsReserved: number;
}

async function replay(userId: string, jobId: string, deps: ApiDeps): Promise<CreatedJob> {
  const job = await deps.store.get(userId, jobId);
  if (!job) throw new ConflictError('A request with this Idempotency-Key is still being processed', JobErrorCode.IDEMPOTENCY_KEY_REUSED);
  return { jobId: job.jobId, status: job.status, creditsReserved: job.creditsReserved };
}

/**
 * POST /jobs: probe the source, check the tier (413 too long, 400 too many clips, 429 too many
 * running jobs), reserve credits (402), create the job and publish job.requested. With an
 * Idempotency-Key the same request returns the same job; a different body with the key → 409.
 */
export async function createJob(userId: string, body: CreateJobBody, idempotencyKey: string | undefined, deps: ApiDeps): Promise<CreatedJob> {
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw new BadRequestError('Idempotency-Key must be 1–128 characters of letters, digits, _ . : -');
  }
  const hash = requestHash(body);
  const account = await deps.billing.getAccount(userId);
  const limits = account.limits;
  if (body.options.clipCount > limits.maxClipsPerJob) {
    throw new ValidationError(`Your plan allows up to ${limits.maxClipsPerJob} clips per job`, { 'options.clipCount': [`at most ${limits.maxClipsPerJob}`] });
  }
  const info = await probeSource(userId, body, deps);
  const span = spanOf(info, body);
  if (span.seconds > limits.maxSourceSeconds) throw tooLong(span, limits);
  const credits = deps.billing.creditsForDuration(span.seconds);

  const now = deps.clock.now();
  const jobId = newJobId(now.getTime());
  const created = await deps.store.create(
    {
      userId,
      jobId,
      source: { ...(body.url ? { kind: 'url', url: body.url } : { kind: 'upload', uploadKey: body.uploadKey ?? '' }), ...rangeOf(span) },
      options: body.options,
      limits: publicLimits(limits),
      durationSeconds: span.seconds,
      creditsReserved: credits,
      deadlineAt: stageDeadline(null, now),
      now: now.toISOString(),
    },
    { maxActive: limits.concurrentJobs, ...(idempotencyKey ? { idempotency: { key: idempotencyKey, requestHash: hash, ttl: ttlIn(IDEMPOTENCY_TTL_SECONDS) } } : {}) },
  );
  if (!created.created) {
    if (created.reason === 'idempotent') {
      if (created.requestHash !== hash) {
        throw new ConflictError('This Idempotency-Key was used with a different request', JobErrorCode.IDEMPOTENCY_KEY_REUSED);
      }
      return replay(userId, created.jobId, deps);
    }
    throw new HttpError(429, ErrorCode.TOO_MANY_JOBS, `Your plan runs up to ${limits.concurrentJobs} job(s) at a time; wait for one to finish`, undefined, {
      'retry-after': '30',
    });
  }

  try {
    await deps.billing.reserveCredits({ userId, jobId, credits });
  } catch (err) {
    await deps.store.discard({ userId, jobId }, idempotencyKey);
    throw err;
  }

  try {
    await deps.events.publish({ type: 'job.requested', jobId, userId, eventId: derivedEventId(jobId, 'job.requested') });
  } catch (err) {
    logger.error('could not publish job.requested', { err, jobId });
    const failed = await deps.store.finish(
      { userId, jobId },
      { status: 'failed', stage: null, progress: 100, error: { code: JobErrorCode.INTERNAL, message: 'The job could not be queued' }, creditsCharged: 0 },
      deps.clock.now().toISOString(),
    );
    // The failed write returned the credits. A job already ended (cancelled before its hold was
    // taken) had nothing to refund then: return the hold now (idempotent).
    if (!failed) await deps.billing.refundCredits({ userId, jobId, reason: 'cancelled' });
    if (failed) await publishFinished(deps.events, failed).catch(() => undefined);
    throw new UnavailableError('The job could not be queued; your credits were returned. Please retry.');
  }
  return { jobId, status: 'queued', creditsReserved: credits };
}

export async function getJob(userId: string, jobId: string, deps: Pick<ApiDeps, 'store'>): Promise<JobRecord> {
  const job = await deps.store.get(userId, jobId);
  if (!job) throw new NotFoundError('No such job');
  return job;
}

/**
 * Long-poll: returns as soon as the job's seq differs from `seenSeq` (or the job finished), else
 * the latest record once `waitSeconds` passed.
 */
export async function waitForChange(
  userId: string,
  jobId: string,
  seenSeq: number,
  waitSeconds: number,
  deps: Pick<ApiDeps, 'store'>,
  pollMs = 400,
): Promise<JobRecord> {
  const deadline = Date.now() + waitSeconds * 1000;
  for (;;) {
    const job = await getJob(userId, jobId, deps);
    if (job.seq !== seenSeq || Date.now() + pollMs > deadline) return job;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** Parses the seq out of an If-None-Match value produced by etagOf (W/ prefix and lists tolerated). */
export function seqFromEtag(ifNoneMatch: string | undefined, jobId: string): number | undefined {
  if (!ifNoneMatch) return undefined;
  for (const part of ifNoneMatch.split(',')) {
    const m = /^\s*(?:W\/)?"([^".]+)\.(\d+)"\s*$/.exec(part);
    if (m && m[1] === jobId) return Number(m[2]);
  }
  return undefined;
}

export async function listJobs(userId: string, q: { limit: number; cursor?: string }, deps: Pick<ApiDeps, 'store'>) {
  try {
    const page = await deps.store.list(userId, q.limit, q.cursor);
    return { items: page.items.map(jobView), nextCursor: page.nextCursor };
  } catch (err) {
    if (err instanceof InvalidCursorError) throw new BadRequestError(err.message);
    throw err;
  }
}

/**
 * POST /jobs/{id}/cancel: the job moves to `cancelled` (conditional on being live), the credits
 * go back, and job.cancelled / job.finished are published. Every stage checks the status before
 * and after its work, so nothing further is produced. Cancelling a cancelled job is a no-op.
 */
export async function cancelJob(userId: string, jobId: string, deps: Pick<ApiDeps, 'store' | 'events' | 'billing' | 'clock'>): Promise<JobRecord> {
  const job = await getJob(userId, jobId, deps);
  if (job.status === 'cancelled') return job;
  if (job.status !== 'queued' && job.status !== 'running') {
    throw new ConflictError(`The job already ${job.status}`, JobErrorCode.JOB_FINISHED);
  }
  const cancelled = await deps.store.finish(
    job,
    { status: 'cancelled', stage: (job.stage as Stage | undefined) ?? null, progress: job.progress, creditsCharged: 0 },
    deps.clock.now().toISOString(),
  );
  if (!cancelled) {
    const now = await getJob(userId, jobId, deps);
    if (now.status === 'cancelled') return now;
    throw new ConflictError(`The job already ${now.status}`, JobErrorCode.JOB_FINISHED);
  }
  await deps.events.publish({ type: 'job.cancelled', jobId, userId, eventId: derivedEventId(jobId, 'job.cancelled') });
  await publishFinished(deps.events, cancelled);
  await publishProgress(deps.events, cancelled);
  return cancelled;
}

export async function listClips(userId: string, jobId: string, deps: Pick<ApiDeps, 'store' | 'storage' | 'clock'>) {
  const job = await getJob(userId, jobId, deps);
  const clips = await deps.store.listClips(jobId);
  const expiresAt = new Date(deps.clock.now().getTime() + CLIP_URL_SECONDS * 1000).toISOString();
  const sign = (key: string | undefined) => (key ? deps.storage.presignGet(key, CLIP_URL_SECONDS) : Promise.resolve(null));
  const items: ClipView[] = await Promise.all(
    clips.map(async (c) => {
      const [videoUrl, thumbnailUrl, srt, vtt] = await Promise.all([sign(c.videoKey), sign(c.thumbnailKey), sign(c.srtKey), sign(c.vttKey)]);
      return {
        id: c.clipId,
        index: c.index,
        status: c.status,
        start: c.start,
        end: c.end,
        durationSeconds: c.durationSeconds ?? null,
        title: c.title,
        reason: c.reason,
        score: c.score,
        transcript: c.transcript,
        videoUrl,
        thumbnailUrl,
        captionsUrl: srt && vtt ? { srt, vtt } : null,
        expiresAt: videoUrl ? expiresAt : null,
      };
    }),
  );
  return { jobId, status: job.status, items };
}

/** Parts are at least 8 MiB and at most 10 000 of them (S3's limits). */
export function partPlan(size: number): { partSize: number; partCount: number } {
  const MiB = 1024 * 1024;
  const partSize = Math.max(8 * MiB, Math.ceil(size / 10000 / MiB) * MiB);
  return { partSize, partCount: Math.max(1, Math.ceil(size / partSize)) };
}

const UPLOAD_URL_SECONDS = 3600;

export async function createUpload(
  userId: string,
  body: { filename: string; size: number; contentType: string },
  maxBytes: number,
  deps: Pick<ApiDeps, 'storage' | 'clock'>,
) {
  if (body.size > maxBytes) throw new HttpError(413, ErrorCode.PAYLOAD_TOO_LARGE, `Files up to ${Math.floor(maxBytes / 1024 ** 2)} MiB can be uploaded`);
  const name = body.filename.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(-120) || 'video';
  const uploadKey = keys.upload(userId, randomUUID().replaceAll('-', ''), name);
  const { partSize } = partPlan(body.size);
  const { uploadId, urls } = await deps.storage.createMultipartUpload(uploadKey, body.contentType, { totalBytes: body.size, partSize }, UPLOAD_URL_SECONDS);
  return {
    uploadKey,
    uploadId,
    partSize,
    parts: urls.map((url, i) => ({ partNumber: i + 1, url })),
    expiresAt: new Date(deps.clock.now().getTime() + UPLOAD_URL_SECONDS * 1000).toISOString(),
  };
}

/**
 * Completes a multipart upload, then holds the object to what was declared: larger than the byte
 * cap → deleted, 413; another size than declared at POST /uploads → deleted, 400
 * UPLOAD_SIZE_MISMATCH. (On AWS each part's presigned URL also binds its Content-Length.)
 */
export async function completeUpload(
  userId: string,
  body: { uploadKey: string; uploadId: string; parts: { partNumber: number; etag: string }[] },
  maxBytes: number,
  deps: Pick<ApiDeps, 'storage'>,
) {
  assertOwnUpload(userId, body.uploadKey);
  try {
    await deps.storage.completeMultipartUpload(body.uploadKey, body.uploadId, [...body.parts].sort((a, b) => a.partNumber - b.partNumber));
  } catch (err) {
    const name = (err as Error).name;
    if (name === 'NoSuchUpload' || name === 'InvalidPart' || name === 'InvalidPartOrder' || name === 'EntityTooSmall') {
      throw new BadRequestError(`The upload could not be completed: ${name}`);
    }
    throw err;
  }
  const head = await deps.storage.head(body.uploadKey);
  if (!head?.bytes) throw new NotFoundError('No such upload');
  if (head.bytes > maxBytes) {
    await deps.storage.remove(body.uploadKey);
    throw new HttpError(413, ErrorCode.PAYLOAD_TOO_LARGE, `Files up to ${Math.floor(maxBytes / 1024 ** 2)} MiB can be uploaded`);
  }
  if (head.declaredBytes === undefined || head.bytes !== head.declaredBytes) {
    await deps.storage.remove(body.uploadKey);
    throw new HttpError(400, ErrorCode.UPLOAD_SIZE_MISMATCH, `The upload is ${head.bytes} bytes, not the ${head.declaredBytes ?? 'declared'} bytes it was created for; upload it again`, {
      bytes: head.bytes,
      declaredBytes: head.declaredBytes ?? null,
    });
  }
  return { uploadKey: body.uploadKey, size: head.bytes };
}
