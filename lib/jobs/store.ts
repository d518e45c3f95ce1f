import { GetItemCommand } from 'dynamodb-toolbox/entity/actions/get';
import { PutItemCommand } from 'dynamodb-toolbox/entity/actions/put';
import { UpdateItemCommand, $add, $remove, $set } from 'dynamodb-toolbox/entity/actions/update';
import { PutTransaction } from 'dynamodb-toolbox/entity/actions/transactPut';
import { UpdateTransaction } from 'dynamodb-toolbox/entity/actions/transactUpdate';
import { DeleteTransaction } from 'dynamodb-toolbox/entity/actions/transactDelete';
import { execute } from 'dynamodb-toolbox/entity/actions/transactWrite';
import { QueryCommand } from 'dynamodb-toolbox/table/actions/query';
import { AppTable } from '../db/table.ts';
import { RetryableRaceError, cancellationCodes, refundTransaction, withRetries } from '../billing/ledger.ts';
import { ACTIVE_JOBS_PK, JobEntity, JobRequestKeyEntity, JobSlotsEntity, activeSortKey, type JobItem } from '../db/job.ts';
import { ClipEntity, type ClipItem } from '../db/clip.ts';
import { STAGES, type JobError, type Stage } from '../contracts/job-events.ts';
import type { JobStatus, StageTiming } from '../contracts/jobs.ts';

/**
 * Named access patterns of jobs and clips (DynamoDB through dynamodb-toolbox). Every state change
 * is a conditional write: a transition applies only if the job is still where the caller saw it,
 * so duplicates and races become no-ops (`null` / `false`) instead of double work.
 */
export type JobRecord = JobItem;
export type ClipRecord = ClipItem;

export interface NewJob {
  userId: string;
  jobId: string;
  source: { kind: 'url' | 'upload'; url?: string; uploadKey?: string; range?: { startSeconds: number; endSeconds: number } };
  options: unknown;
  limits: unknown;
  durationSeconds: number;
  creditsReserved: number;
  deadlineAt: string;
  now: string;
}

export type CreateResult =
  | { created: true; job: JobRecord }
  | { created: false; reason: 'slots' }
  | { created: false; reason: 'idempotent'; jobId: string; requestHash: string };

export interface JobStatePatch {
  status: JobStatus;
  stage: Stage | null;
  progress: number;
  clipCount?: number;
  error?: JobError;
  creditsCharged?: number;
}

export interface StageResultPatch {
  artifacts?: Record<string, string>;
  durationSeconds?: number;
  media?: unknown;
  transcriptSource?: string;
  selector?: string;
  notices?: string[];
}

export interface JobStore {
  create(job: NewJob, opts: { maxActive: number; idempotency?: { key: string; requestHash: string; ttl: number } }): Promise<CreateResult>;
  /** Undo a creation that could not reserve credits (job, its slot, its idempotency key). */
  discard(job: Pick<JobRecord, 'userId' | 'jobId'>, idempotencyKey?: string): Promise<void>;
  get(userId: string, jobId: string): Promise<JobRecord | undefined>;
  list(userId: string, limit: number, cursor?: string): Promise<{ items: JobRecord[]; nextCursor: string | null }>;
  /** Conditional move `from` → `patch` of a live job; null when the job is no longer at `from`. */
  advance(job: Pick<JobRecord, 'userId' | 'jobId'>, from: { status: JobStatus; stage: Stage | null }, patch: JobStatePatch, now: string, deadlineAt: string, close?: { stage: Stage; ms: number }): Promise<JobRecord | null>;
  /**
   * Conditional move of a live job to a terminal status, releasing its slot; null if already
   * finished. Failed or cancelled: the job's credit hold is refunded in the same write.
   */
  finish(job: Pick<JobRecord, 'userId' | 'jobId'>, patch: JobStatePatch, now: string, from?: { status: JobStatus; stage: Stage | null }): Promise<JobRecord | null>;
  /** Count one clip once (atomic); null when it was counted before or the job left render. */
  /** Counts one item of the fan-out the job is in (its current stage), once per item id. */
  countClip(job: Pick<JobRecord, 'userId' | 'jobId' | 'stage'>, clipId: string, ok: boolean, now: string): Promise<JobRecord | null>;
  stageStarted(job: Pick<JobRecord, 'userId' | 'jobId'>, stage: Stage, now: string): Promise<boolean>;
  stageSucceeded(job: Pick<JobRecord, 'userId' | 'jobId'>, stage: Stage, timing: { finishedAt: string; ms: number }, result: StageResultPatch): Promise<boolean>;
  setProgress(job: Pick<JobRecord, 'userId' | 'jobId'>, progress: number, now: string): Promise<void>;
  /** Active jobs whose deadline is before `now`. */
  overdue(now: string, limit: number): Promise<JobRecord[]>;
  putClipsIfAbsent(clips: ClipRecord[]): Promise<void>;
  listClips(jobId: string): Promise<ClipRecord[]>;
  getClip(jobId: string, clipId: string): Promise<ClipRecord | undefined>;
  updateClip(jobId: string, clipId: string, patch: Partial<Omit<ClipRecord, 'jobId' | 'clipId'>>): Promise<void>;
}

const LIVE: JobStatus[] = ['queued', 'running'];

function isConditionFailure(err: unknown): boolean {
  return err instanceof Error && err.name === 'ConditionalCheckFailedException';
}

/** A conditional write: its result, or `otherwise` when the condition did not hold. */
async function conditionally<T>(write: () => Promise<T>, otherwise: T): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isConditionFailure(err)) return otherwise;
    throw err;
  }
}

function stageCondition(stage: Stage | null) {
  return stage ? ({ attr: 'stage', eq: stage } as const) : ({ attr: 'stage', exists: false } as const);
}

const initialStages = (): Record<string, StageTiming> =>
  Object.fromEntries(STAGES.map((s) => [s, { status: 'pending' as const }]));

function encodeCursor(key: Record<string, unknown> | undefined): string | null {
  return key ? Buffer.from(JSON.stringify(key)).toString('base64url') : null;
}

function decodeCursor(cursor: string | undefined, userId: string): Record<string, unknown> | undefined {
  if (!cursor) return undefined;
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    // A cursor may only continue the caller's own listing.
    if (key.pk !== `USER#${userId}` || typeof key.sk !== 'string' || !key.sk.startsWith('JOB#')) return undefined;
    return { pk: key.pk, sk: key.sk };
  } catch {
    return undefined;
  }
}

export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

export const dynamoJobStore: JobStore = {
  async create(job, opts) {
    const item = {
      userId: job.userId,
      jobId: job.jobId,
      status: 'queued' as const,
      progress: 0,
      seq: 1,
      source: job.source,
      options: job.options,
      limits: job.limits,
      durationSeconds: job.durationSeconds,
      creditsReserved: job.creditsReserved,
      artifacts: {},
      notices: [],
      stages: initialStages(),
      clipCount: 0,
      clipsDone: 0,
      clipsFailed: 0,
      createdAt: job.now,
      updatedAt: job.now,
      deadlineAt: job.deadlineAt,
      gsi1pk: ACTIVE_JOBS_PK,
      gsi1sk: activeSortKey(job.deadlineAt, job.jobId),
    };
    const writes = [
      JobEntity.build(PutTransaction).item(item).options({ condition: { attr: 'jobId', exists: false } }),
      JobSlotsEntity.build(UpdateTransaction)
        .item({ userId: job.userId, active: $add(1) })
        .options({ condition: { or: [{ attr: 'active', exists: false }, { attr: 'active', lt: opts.maxActive }] } }),
    ] as const;
    const keyWrite = opts.idempotency
      ? JobRequestKeyEntity.build(PutTransaction)
          .item({ userId: job.userId, key: opts.idempotency.key, jobId: job.jobId, requestHash: opts.idempotency.requestHash, expiresAt: opts.idempotency.ttl })
          .options({ condition: { attr: 'jobId', exists: false } })
      : undefined;
    try {
      await (keyWrite ? execute(...writes, keyWrite) : execute(...writes));
      return { created: true, job: { ...item, created: job.now, modified: job.now } as JobRecord };
    } catch (err) {
      const reasons = cancellationCodes(err);
      if (!reasons) throw err;
      if (opts.idempotency && reasons[2] === 'ConditionalCheckFailed') {
        const { Item } = await JobRequestKeyEntity.build(GetItemCommand)
          .key({ userId: job.userId, key: opts.idempotency.key })
          .options({ consistent: true })
          .send();
        if (Item) return { created: false, reason: 'idempotent', jobId: Item.jobId, requestHash: Item.requestHash };
      }
      if (reasons[1] === 'ConditionalCheckFailed') return { created: false, reason: 'slots' };
      throw err;
    }
  },

  async discard(job, idempotencyKey) {
    const writes = [
      JobEntity.build(DeleteTransaction).key({ userId: job.userId, jobId: job.jobId }),
      JobSlotsEntity.build(UpdateTransaction)
        .item({ userId: job.userId, active: $add(-1) })
        .options({ condition: { attr: 'active', gt: 0 } }),
    ] as const;
    const keyDelete = idempotencyKey ? JobRequestKeyEntity.build(DeleteTransaction).key({ userId: job.userId, key: idempotencyKey }) : undefined;
    await (keyDelete ? execute(...writes, keyDelete) : execute(...writes));
  },

  async get(userId, jobId) {
    const { Item } = await JobEntity.build(GetItemCommand).key({ userId, jobId }).options({ consistent: true }).send();
    return Item;
  },

  async list(userId, limit, cursor) {
    const exclusiveStartKey = decodeCursor(cursor, userId);
    if (cursor && !exclusiveStartKey) throw new InvalidCursorError('The cursor is not valid for this listing');
    const { Items = [], LastEvaluatedKey } = await AppTable.build(QueryCommand)
      .entities(JobEntity)
      .query({ partition: `USER#${userId}`, range: { beginsWith: 'JOB#' } })
      .options({ reverse: true, limit, exclusiveStartKey })
      .send();
    return { items: Items, nextCursor: encodeCursor(LastEvaluatedKey) };
  },

  async advance(job, from, patch, now, deadlineAt, close) {
    const stages: Record<string, object> = {};
    if (close) stages[close.stage] = { status: 'succeeded', finishedAt: now, ms: close.ms };
    if (patch.stage && patch.stage !== from.stage) stages[patch.stage] = { status: 'pending', requestedAt: now };
    return conditionally(async () => {
      const { Attributes } = await JobEntity.build(UpdateItemCommand)
        .item({
          userId: job.userId,
          jobId: job.jobId,
          status: patch.status,
          stage: patch.stage ?? $remove(),
          progress: patch.progress,
          ...(patch.clipCount === undefined ? {} : { clipCount: patch.clipCount }),
          ...(Object.keys(stages).length ? { stages: stages as never } : {}),
          seq: $add(1),
          updatedAt: now,
          deadlineAt,
          gsi1pk: ACTIVE_JOBS_PK,
          gsi1sk: activeSortKey(deadlineAt, job.jobId),
        })
        .options({ condition: { and: [{ attr: 'status', eq: from.status }, stageCondition(from.stage)] }, returnValues: 'ALL_NEW' })
        .send();
      return (Attributes as JobRecord | undefined) ?? null;
    }, null);
  },

  async finish(job, patch, now, from) {
    const condition = from
      ? { and: [{ attr: 'status', eq: from.status }, stageCondition(from.stage)] }
      : { attr: 'status', in: LIVE };
    const update = () =>
      JobEntity.build(UpdateTransaction)
        .item({
          userId: job.userId,
          jobId: job.jobId,
          status: patch.status,
          ...(patch.stage ? { stage: patch.stage } : {}),
          progress: patch.progress,
          ...(patch.error ? { error: $set(patch.error) } : {}),
          ...(patch.creditsCharged === undefined ? {} : { creditsCharged: patch.creditsCharged }),
          ...(patch.status === 'cancelled' ? { cancelRequested: true } : {}),
          seq: $add(1),
          updatedAt: now,
          finishedAt: now,
          deadlineAt: $remove(),
          gsi1pk: $remove(),
          gsi1sk: $remove(),
        })
        .options({ condition: condition as never });
    const release = JobSlotsEntity.build(UpdateTransaction)
      .item({ userId: job.userId, active: $add(-1) })
      .options({ condition: { attr: 'active', gt: 0 } });
    // A job that ends failed or cancelled gets its credit hold back in the same transaction: no
    // reader sees it failed with its credits still held, and no refund is lost between two writes.
    const refundReason = patch.status === 'succeeded' ? undefined : (patch.error?.code ?? patch.status);
    const finished = await withRetries(async () => {
      const refund = refundReason ? await refundTransaction(job.userId, job.jobId, refundReason, new Date(now)) : undefined;
      const credits = refund?.items ?? [];
      /** true: written; false: the job was not in the expected state. */
      const attempt = async (withRelease: boolean): Promise<boolean> => {
        try {
          await (withRelease ? execute(update(), release, ...credits) : execute(update(), ...credits));
          return true;
        } catch (err) {
          const reasons = cancellationCodes(err);
          if (!reasons) throw err;
          if (reasons[0] === 'ConditionalCheckFailed') return false;
          // The hold changed under us (settled or refunded elsewhere): read it again.
          if (reasons.slice(withRelease ? 2 : 1).includes('ConditionalCheckFailed')) throw new RetryableRaceError('hold changed', { cause: err });
          // The slot counter was already 0 (drift): finish the job anyway.
          if (withRelease && reasons[1] === 'ConditionalCheckFailed') return attempt(false);
          throw err;
        }
      };
      return attempt(true);
    });
    if (!finished) return null;
    return (await this.get(job.userId, job.jobId)) ?? null;
  },

  async countClip(job, clipId, ok, now) {
    return conditionally(async () => {
      const { Attributes } = await JobEntity.build(UpdateItemCommand)
        .item({
          userId: job.userId,
          jobId: job.jobId,
          ...(ok ? { clipsDone: $add(1) } : { clipsFailed: $add(1) }),
          countedClips: $add(new Set([clipId])),
          seq: $add(1),
          updatedAt: now,
        })
        .options({
          condition: { and: [{ attr: 'status', eq: 'running' }, stageCondition(job.stage ?? null), { not: { attr: 'countedClips', contains: clipId } }] },
          returnValues: 'ALL_NEW',
        })
        .send();
      return (Attributes as JobRecord | undefined) ?? null;
    }, null);
  },

  async stageStarted(job, stage, now) {
    return conditionally(async () => {
      await JobEntity.build(UpdateItemCommand)
        .item({ userId: job.userId, jobId: job.jobId, stages: { [stage]: { status: 'running', startedAt: now, attempts: $add(1) } }, seq: $add(1), updatedAt: now })
        .options({ condition: { and: [{ attr: 'status', eq: 'running' }, { attr: 'stage', eq: stage }] } })
        .send();
      return true;
    }, false);
  },

  async stageSucceeded(job, stage, timing, result) {
    return conditionally(async () => {
      await JobEntity.build(UpdateItemCommand)
        .item({
          userId: job.userId,
          jobId: job.jobId,
          stages: { [stage]: { status: 'succeeded', finishedAt: timing.finishedAt, ms: timing.ms } },
          ...(result.artifacts && Object.keys(result.artifacts).length ? { artifacts: result.artifacts } : {}),
          ...(result.durationSeconds === undefined ? {} : { durationSeconds: result.durationSeconds }),
          ...(result.media === undefined ? {} : { media: $set(JSON.parse(JSON.stringify(result.media)) as unknown) }),
          ...(result.transcriptSource ? { transcriptSource: result.transcriptSource } : {}),
          ...(result.selector ? { selector: result.selector } : {}),
          ...(result.notices ? { notices: $set(result.notices) } : {}),
          seq: $add(1),
          updatedAt: timing.finishedAt,
        })
        .options({ condition: { and: [{ attr: 'status', eq: 'running' }, { attr: 'stage', eq: stage }] } })
        .send();
      return true;
    }, false);
  },

  async setProgress(job, progress, now) {
    await conditionally(async () => {
      await JobEntity.build(UpdateItemCommand)
        .item({ userId: job.userId, jobId: job.jobId, progress, seq: $add(1), updatedAt: now })
        .options({ condition: { and: [{ attr: 'status', eq: 'running' }, { attr: 'progress', lt: progress }] } })
        .send();
    }, undefined);
  },

  async overdue(now, limit) {
    const { Items = [] } = await AppTable.build(QueryCommand)
      .entities(JobEntity)
      .query({ index: 'gsi1', partition: ACTIVE_JOBS_PK, range: { lt: `${now}#` } })
      .options({ limit })
      .send();
    return Items;
  },

  async putClipsIfAbsent(clips) {
    await Promise.all(
      clips.map(async (clip) => {
        try {
          await ClipEntity.build(PutItemCommand).item(clip).options({ condition: { attr: 'clipId', exists: false } }).send();
        } catch (err) {
          if (!isConditionFailure(err)) throw err;
        }
      }),
    );
  },

  async listClips(jobId) {
    const { Items = [] } = await AppTable.build(QueryCommand)
      .entities(ClipEntity)
      .query({ partition: `JOB#${jobId}`, range: { beginsWith: 'CLIP#' } })
      .options({ consistent: true })
      .send();
    return Items;
  },

  async getClip(jobId, clipId) {
    const { Item } = await ClipEntity.build(GetItemCommand).key({ jobId, clipId }).options({ consistent: true }).send();
    return Item;
  },

  async updateClip(jobId, clipId, patch) {
    // Whole values, not deep merges (an `error` map does not exist before it is set).
    const values = Object.fromEntries(Object.entries(patch).map(([k, v]) => [k, v !== null && typeof v === 'object' ? $set(v) : v]));
    await ClipEntity.build(UpdateItemCommand)
      .item({ jobId, clipId, ...values } as never)
      .options({ condition: { attr: 'clipId', exists: true } })
      .send();
  },
};
