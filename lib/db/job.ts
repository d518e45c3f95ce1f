import { randomBytes } from 'node:crypto';
import { Entity } from 'dynamodb-toolbox/entity';
import { item } from 'dynamodb-toolbox/schema/item';
import { string } from 'dynamodb-toolbox/schema/string';
import { number } from 'dynamodb-toolbox/schema/number';
import { boolean } from 'dynamodb-toolbox/schema/boolean';
import { record } from 'dynamodb-toolbox/schema/record';
import { map } from 'dynamodb-toolbox/schema/map';
import { list } from 'dynamodb-toolbox/schema/list';
import { set } from 'dynamodb-toolbox/schema/set';
import { STAGES } from '../contracts/job-events.ts';
import { any } from 'dynamodb-toolbox/schema/any';
import type { FormattedItem } from 'dynamodb-toolbox/entity';
import { AppTable } from './table.ts';

/**
 * Job record. Key: pk USER#<userId> / sk JOB#<jobId>. Job ids sort by creation time, so a user's
 * jobs list newest first with one reverse query, and another user's job simply is not found.
 * While a job is active it sits in the sparse index gsi1 under ACTIVEJOBS with its stage deadline
 * as sort key: the sweeper queries the jobs whose deadline passed.
 */
export const ACTIVE_JOBS_PK = 'ACTIVEJOBS';

const stageTiming = map({
  status: string().enum('pending', 'running', 'succeeded', 'failed', 'skipped'),
  requestedAt: string().optional(),
  startedAt: string().optional(),
  finishedAt: string().optional(),
  ms: number().optional(),
  attempts: number().optional(),
});

export const JobEntity = new Entity({
  name: 'Job',
  table: AppTable,
  schema: item({
    userId: string().key(),
    jobId: string().key(),
    status: string().enum('queued', 'running', 'succeeded', 'failed', 'cancelled'),
    stage: string().enum(...STAGES).optional(),
    progress: number(),
    /** Bumped by every update: ETags and long-polls compare it. */
    seq: number(),
    source: map({
      kind: string().enum('url', 'upload'),
      url: string().optional(),
      uploadKey: string().optional(),
      /** Only this part of the source is processed and billed (seconds, clamped to the source). */
      range: map({ startSeconds: number(), endSeconds: number() }).optional(),
    }),
    options: any(),
    limits: any(),
    durationSeconds: number().optional(),
    creditsReserved: number(),
    creditsCharged: number().optional(),
    /** S3 keys produced by the stages (sourceKey, audioKey, transcriptKey, manifestKey). */
    artifacts: record(string(), string()),
    /** ffprobe result of the downloaded source. */
    media: any().optional(),
    transcriptSource: string().optional(),
    selector: string().optional(),
    notices: list(string()),
    stages: record(string(), stageTiming),
    clipCount: number(),
    clipsDone: number(),
    clipsFailed: number(),
    countedClips: set(string()).optional(),
    error: map({ code: string(), message: string() }).optional(),
    createdAt: string(),
    updatedAt: string(),
    finishedAt: string().optional(),
    cancelRequested: boolean().optional(),
    deadlineAt: string().optional(),
    gsi1pk: string().optional(),
    gsi1sk: string().optional(),
  }),
  computeKey: ({ userId, jobId }: { userId: string; jobId: string }) => ({ pk: `USER#${userId}`, sk: `JOB#${jobId}` }),
});
export type JobItem = FormattedItem<typeof JobEntity>;

/** Per-user count of active jobs, moved in the same transaction as job creation and completion. */
export const JobSlotsEntity = new Entity({
  name: 'JobSlots',
  table: AppTable,
  schema: item({
    userId: string().key(),
    active: number(),
  }),
  computeKey: ({ userId }: { userId: string }) => ({ pk: `USER#${userId}`, sk: 'JOBSLOTS' }),
});

/** An Idempotency-Key of POST /jobs → the job it created (24 h). */
export const JobRequestKeyEntity = new Entity({
  name: 'JobRequestKey',
  table: AppTable,
  timestamps: false,
  schema: item({
    userId: string().key(),
    key: string().key(),
    jobId: string(),
    requestHash: string(),
    expiresAt: number(),
  }),
  computeKey: ({ userId, key }: { userId: string; key: string }) => ({ pk: `USER#${userId}`, sk: `JOBKEY#${key}` }),
});

/** Time-sortable job id: `j` + 9 base36 chars of epoch ms + 10 random base36 chars. */
export function newJobId(now = Date.now()): string {
  const rand = [...randomBytes(10)].map((b) => (b % 36).toString(36)).join('');
  return `j${now.toString(36).padStart(9, '0')}${rand}`;
}

/** Deadline index sort key. */
export const activeSortKey = (deadlineAt: string, jobId: string): string => `${deadlineAt}#${jobId}`;
