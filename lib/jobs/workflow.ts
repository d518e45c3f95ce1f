import { z } from 'zod';
import type { JobEventOf, JobError, Stage } from '../contracts/job-events.ts';
import { JobErrorCode, TERMINAL_STATUSES, type JobStatus } from '../contracts/jobs.ts';

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

export const LINEAR_NEXT: Partial<Record<Stage, Stage>> = {
  download: 'probe',
  probe: 'audio',
  audio: 'transcribe',
  transcribe: 'select',
  select: 'render',
  render: 'finalize',
};

/** Progress (0–100) when a stage is requested; render interpolates between 55 and 95 by clips. */
export const STAGE_PROGRESS: Record<Stage, number> = {
  download: 2,
  probe: 12,
  audio: 18,
  transcribe: 28,
  select: 45,
  render: 55,
  finalize: 95,
};

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

const selectOutputSchema = z.object({ clipIds: z.array(z.string().min(1)).max(100) });
const finalizeOutputSchema = z.object({ creditsCharged: z.number().int().nonnegative() });

export const isTerminal = (status: JobStatus): boolean => TERMINAL_STATUSES.includes(status);

/** Progress while rendering: 55 → 95 as clips finish. */
export function renderProgress(job: Pick<WorkflowJob, 'clipCount' | 'clipsDone' | 'clipsFailed'>): number {
  if (job.clipCount <= 0) return STAGE_PROGRESS.render;
  const counted = Math.min(job.clipCount, job.clipsDone + job.clipsFailed);
  return Math.round(STAGE_PROGRESS.render + ((STAGE_PROGRESS.finalize - STAGE_PROGRESS.render) * counted) / job.clipCount);
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
  if (job.status === 'succeeded' && event.type === 'stage.completed' && event.stage === 'finalize') repair = [{ type: 'publishFinished' }];
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
    const clipIds = current === 'render' ? selectOutputSchema.safeParse(event.output).data?.clipIds : undefined;
    if (current === 'render' && !clipIds?.length) return { kind: 'ignore', reason, actions: [] };
    return { kind: 'ignore', reason: `${reason}; re-requesting ${current}`, actions: [{ type: 'requestStage', stage: current, ...(clipIds ? { clipIds } : {}) }] };
  }
  return { kind: 'ignore', reason, actions: [] };
}

export function nextStep(job: WorkflowJob, event: WorkflowEvent): Step {
  if (isTerminal(job.status)) return finished(job, event);

  switch (event.type) {
    case 'job.requested':
      if (job.status !== 'queued') return { kind: 'ignore', reason: 'job already started', actions: [] };
      return request(job, 'download');

    case 'job.cancelled':
      // The cancel API moves the job to `cancelled` itself; a cancel event for a live job is stale.
      return { kind: 'ignore', reason: 'job is not cancelled', actions: [] };

    case 'stage.completed': {
      if (job.status !== 'running' || job.stage !== event.stage) return staleCompletion(job, event);
      if (event.stage === 'render') {
        if (!event.clipId) return { kind: 'ignore', reason: 'render completion without clipId', actions: [] };
        return { kind: 'countClip', clipId: event.clipId, ok: true };
      }
      if (event.stage === 'select') {
        const parsed = selectOutputSchema.safeParse(event.output);
        if (!parsed.success) return fail(job, { code: JobErrorCode.INTERNAL, message: 'The select stage returned an invalid result' });
        const clipIds = [...new Set(parsed.data.clipIds)];
        if (clipIds.length === 0) {
          return fail(job, { code: JobErrorCode.NO_CLIPS, message: 'No clip-worthy moments were found in this video' });
        }
        return request(job, 'render', { clipCount: clipIds.length }, clipIds);
      }
      if (event.stage === 'finalize') {
        const parsed = finalizeOutputSchema.safeParse(event.output);
        const creditsCharged = parsed.success ? parsed.data.creditsCharged : 0;
        return {
          kind: 'advance',
          from: { status: 'running', stage: 'finalize' },
          to: { status: 'succeeded', stage: 'finalize', progress: 100, creditsCharged },
          actions: [{ type: 'publishFinished' }, { type: 'publishProgress' }],
        };
      }
      const next = LINEAR_NEXT[event.stage];
      if (!next) return { kind: 'ignore', reason: `no stage follows ${event.stage}`, actions: [] };
      return request(job, next);
    }

    case 'stage.failed': {
      if (job.status !== 'running' || job.stage !== event.stage) {
        return { kind: 'ignore', reason: `stale ${event.stage} failure (job at ${job.stage ?? 'none'})`, actions: [] };
      }
      // One clip failing does not sink the job: the others still render.
      if (event.stage === 'render' && event.clipId) return { kind: 'countClip', clipId: event.clipId, ok: false };
      return fail(job, event.error);
    }

    case 'clip.counted': {
      if (job.status !== 'running' || job.stage !== 'render') return { kind: 'ignore', reason: 'not rendering', actions: [] };
      if (job.clipsDone + job.clipsFailed < job.clipCount) {
        return { kind: 'ignore', reason: 'clips still rendering', actions: [{ type: 'publishProgress' }] };
      }
      if (job.clipsDone === 0) {
        return fail(job, { code: JobErrorCode.ALL_CLIPS_FAILED, message: 'Every clip failed to render' });
      }
      return request(job, 'finalize');
    }
  }
}
