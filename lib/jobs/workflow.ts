import type { JobEventOf, JobError, Stage } from '../contracts/job-events.ts';
import { JobErrorCode, TERMINAL_STATUSES, type JobStatus } from '../contracts/jobs.ts';
import { FIRST_STAGE, LAST_STAGE, STAGE_TABLE, fanOutOf, nextStage, outputField, type FanOut } from '../contracts/stage-table.ts';

/**
 * The whole job workflow in one pure function: given the job as stored and an event the coordinator
 * consumed, `nextStep` says what to do. The coordinator applies a transition with a conditional
 * DynamoDB update (`from` must still hold), then performs the actions. No I/O here.
 *
 *   queued ──job.requested──► running/download ─► probe ─► audio ─► transcribe ─► select
 *   select ──completed(clipIds)──► render (fan-out: one stage.requested per clip)
 *   render ──each clip completed/failed──► count (atomic) ──all counted──► finalize ─► succeeded
 *   any stage.failed (except one clip's render) ──► failed + refund; job.cancelled ──► refund
 */

/** What follows each stage (the table's `next`); the last stage has no entry. */
export const LINEAR_NEXT: Partial<Record<Stage, Stage>> = Object.fromEntries(
  STAGE_TABLE.flatMap((s) => (s.next ? [[s.name, s.next]] : [])),
);

/** Progress (0–100) when a stage is requested; a fan-out interpolates up to the next stage's. */
export const STAGE_PROGRESS = Object.fromEntries(STAGE_TABLE.map((s) => [s.name, s.progress])) as Record<Stage, number>;

/** The view of a job the workflow needs. */
export interface WorkflowJob {
  status: JobStatus;
  stage?: Stage | null;
  clipCount: number;
  clipsDone: number;
  clipsFailed: number;
  /** Per-stage status; lets a redelivered completion re-request a stage whose request was lost. */
  stages?: Partial<Record<string, { status: string }>>;
}

/** The coordinator's inputs: its queue's events plus the internal "a clip was counted" signal. */
export type WorkflowEvent =
  | JobEventOf<'job.requested'>
  | JobEventOf<'stage.completed'>
  | JobEventOf<'stage.failed'>
  | JobEventOf<'job.cancelled'>
  | { type: 'clip.counted' };

export type Action =
  | { type: 'requestStage'; stage: Stage; clipIds?: string[] }
  | { type: 'refund'; reason: string }
  | { type: 'publishFinished' }
  | { type: 'publishProgress' };

export interface JobPatch {
  status: JobStatus;
  stage: Stage | null;
  progress: number;
  clipCount?: number;
  error?: JobError;
  creditsCharged?: number;
}

export type Step =
  /** Nothing to change (a duplicate, a stale event, a finished job); actions are idempotent repairs. */
  | { kind: 'ignore'; reason: string; actions: Action[] }
  /** Move the job from `from` to `to` (conditionally), then perform `actions`. */
  | { kind: 'advance'; from: { status: JobStatus; stage: Stage | null }; to: JobPatch; actions: Action[] }
  /** Count one rendered (ok) or failed clip atomically, then call nextStep with `clip.counted`. */
  | { kind: 'countClip'; clipId: string; ok: boolean };

/** The item ids a fan-out stage runs over, from the completed output of the stage before it. */
function fanOutItems(completed: JobEventOf<'stage.completed'>, fanOut: FanOut): string[] | undefined {
  const ids = outputField(completed.stage, completed.output, fanOut.itemsFrom);
  return Array.isArray(ids) ? [...new Set(ids.map(String))] : undefined;
}

export const isTerminal = (status: JobStatus): boolean => TERMINAL_STATUSES.includes(status);

/** Progress during a fan-out: from its stage's share to the next stage's as items are counted. */
export function fanOutProgress(job: Pick<WorkflowJob, 'stage' | 'clipCount' | 'clipsDone' | 'clipsFailed'>): number {
  const stage = job.stage ?? FIRST_STAGE;
  const from = STAGE_PROGRESS[stage];
  const next = nextStage(stage);
  if (job.clipCount <= 0 || !next) return from;
  const counted = Math.min(job.clipCount, job.clipsDone + job.clipsFailed);
  return Math.round(from + ((STAGE_PROGRESS[next] - from) * counted) / job.clipCount);
}

function fail(job: WorkflowJob, error: JobError): Step {
  return {
    kind: 'advance',
    from: { status: job.status, stage: job.stage ?? null },
    to: { status: 'failed', stage: job.stage ?? null, progress: 100, error, creditsCharged: 0 },
    // The store refunds the credits in the same write that fails the job (JobStore.finish).
    actions: [{ type: 'publishFinished' }, { type: 'publishProgress' }],
  };
}

function request(job: WorkflowJob, stage: Stage, extra: Partial<JobPatch> = {}, clipIds?: string[]): Step {
  return {
    kind: 'advance',
    from: { status: job.status, stage: job.stage ?? null },
    to: { status: 'running', stage, progress: STAGE_PROGRESS[stage], ...extra },
    actions: [{ type: 'requestStage', stage, ...(clipIds ? { clipIds } : {}) }, { type: 'publishProgress' }],
  };
}

/** Repairs for events that reach a finished job: refunds are idempotent, so a lost one is redone. */
function finished(job: WorkflowJob, event: WorkflowEvent): Step {
  let repair: Action[] = [];
  if (job.status === 'cancelled' && event.type === 'job.cancelled') repair = [{ type: 'refund', reason: 'cancelled' }];
  // Cancelled (or failed) between its creation and its credit hold: that finish had nothing to
  // refund yet, so the hold taken afterwards is returned here.
  if ((job.status === 'cancelled' || job.status === 'failed') && event.type === 'job.requested') repair = [{ type: 'refund', reason: job.status }];
  if (job.status === 'failed' && event.type === 'stage.failed') repair = [{ type: 'refund', reason: event.error.code }, { type: 'publishFinished' }];
  if (job.status === 'succeeded' && event.type === 'stage.completed' && event.stage === LAST_STAGE) repair = [{ type: 'publishFinished' }];
  return { kind: 'ignore', reason: `job is already ${job.status}`, actions: repair };
}

/**
 * A completion of the stage before the current one, while the current one was never started: the
 * coordinator advanced the job but its stage request may have been lost. Request it again — the
 * request keeps the same eventId, so the stage's idempotency makes the repeat harmless.
 */
function staleCompletion(job: WorkflowJob, event: JobEventOf<'stage.completed'>): Step {
  const current = job.stage ?? null;
  const reason = `stale ${event.stage} completion (job at ${current ?? 'none'})`;
  if (job.status === 'running' && current && LINEAR_NEXT[event.stage] === current && job.stages?.[current]?.status === 'pending') {
    const fanOut = fanOutOf(current);
    const clipIds = fanOut ? fanOutItems(event, fanOut) : undefined;
    if (fanOut && !clipIds?.length) return { kind: 'ignore', reason, actions: [] };
    return { kind: 'ignore', reason: `${reason}; re-requesting ${current}`, actions: [{ type: 'requestStage', stage: current, ...(clipIds ? { clipIds } : {}) }] };
  }
  return { kind: 'ignore', reason, actions: [] };
}

export function nextStep(job: WorkflowJob, event: WorkflowEvent): Step {
  if (isTerminal(job.status)) return finished(job, event);

  switch (event.type) {
    case 'job.requested':
      if (job.status !== 'queued') return { kind: 'ignore', reason: 'job already started', actions: [] };
      return request(job, FIRST_STAGE);

    case 'job.cancelled':
      // The cancel API moves the job to `cancelled` itself; a cancel event for a live job is stale.
      return { kind: 'ignore', reason: 'job is not cancelled', actions: [] };

    case 'stage.completed': {
      if (job.status !== 'running' || job.stage !== event.stage) return staleCompletion(job, event);
      if (fanOutOf(event.stage)) {
        if (!event.clipId) return { kind: 'ignore', reason: `${event.stage} completion without an item id`, actions: [] };
        return { kind: 'countClip', clipId: event.clipId, ok: true };
      }
      const next = nextStage(event.stage);
      if (!next) {
        // The last stage settled the job: its output says what was charged.
        const charged = outputField(event.stage, event.output, 'creditsCharged');
        const creditsCharged = typeof charged === 'number' ? charged : 0;
        return {
          kind: 'advance',
          from: { status: 'running', stage: event.stage },
          to: { status: 'succeeded', stage: event.stage, progress: 100, creditsCharged },
          actions: [{ type: 'publishFinished' }, { type: 'publishProgress' }],
        };
      }
      const fanOut = fanOutOf(next);
      if (fanOut) {
        const clipIds = fanOutItems(event, fanOut);
        if (!clipIds) return fail(job, { code: JobErrorCode.INTERNAL, message: `The ${event.stage} stage returned an invalid result` });
        if (clipIds.length === 0) return fail(job, fanOut.noItems);
        return request(job, next, { clipCount: clipIds.length }, clipIds);
      }
      return request(job, next);
    }

    case 'stage.failed': {
      if (job.status !== 'running' || job.stage !== event.stage) {
        return { kind: 'ignore', reason: `stale ${event.stage} failure (job at ${job.stage ?? 'none'})`, actions: [] };
      }
      // One item of a fan-out failing does not sink the job: the others still run.
      if (fanOutOf(event.stage) && event.clipId) return { kind: 'countClip', clipId: event.clipId, ok: false };
      return fail(job, event.error);
    }

    case 'clip.counted': {
      const fanOut = fanOutOf(job.stage);
      const next = job.stage ? nextStage(job.stage) : null;
      if (job.status !== 'running' || !fanOut || !next) return { kind: 'ignore', reason: 'not in a fan-out', actions: [] };
      if (job.clipsDone + job.clipsFailed < job.clipCount) {
        return { kind: 'ignore', reason: fanOut.pending, actions: [{ type: 'publishProgress' }] };
      }
      if (job.clipsDone === 0) return fail(job, fanOut.allFailed);
      return request(job, next);
    }
  }
}
