import { jobOptionsSchema } from '../contracts/jobs.ts';
import { STAGE_DEFS, fanOutOf } from '../contracts/stage-table.ts';
import { TIER_LIMITS } from '../billing/tiers.ts';
import { PermanentError } from '../http/sqs.ts';
import { logger } from '../http/logger.ts';
import { derivedEventId } from './events.ts';
import type { AccountLimits, Deps } from './ports.ts';
import { clipOutput, STAGE_WORK, type StageOutcome, type StageRequest, type StageWork } from './stages/index.ts';

/**
 * The stage runner: one stage.requested event, whichever stage (the bodies are lib/jobs/stages/*).
 *  1. reads the job (and, for a fan-out, its item); a finished or cancelled job, or one that moved
 *     past this stage, is skipped;
 *  2. records the attempt (conditional: the job must still be at this stage);
 *  3. runs the stage's body, which resumes from artifacts a previous attempt left in S3;
 *  4. re-checks cancellation, records its timing, parses the output with the stage's schema and
 *     publishes stage.completed.
 * A PermanentError (MediaError codes, limits) publishes stage.failed at once; anything else is
 * rethrown so SQS retries it with backoff, and after maxReceiveCount the DLQ handler fails the job.
 */

export type StageRunResult = { status: 'completed' | 'failed' | 'skipped'; reason?: string; output?: Record<string, unknown> };

/** The limits stored on the job at creation; a job stored without them gets the free tier's. */
function parseLimits(raw: unknown): AccountLimits {
  const l = (raw ?? {}) as Partial<AccountLimits>;
  const free = TIER_LIMITS.free;
  return {
    maxSourceSeconds: l.maxSourceSeconds ?? free.maxSourceSeconds,
    maxClipsPerJob: l.maxClipsPerJob ?? free.maxClipsPerJob,
    maxHeight: l.maxHeight ?? free.maxHeight,
    watermark: l.watermark ?? free.watermark,
    concurrentJobs: l.concurrentJobs ?? free.concurrentJobs,
  };
}

async function completed(deps: Deps, event: StageRequest, raw: Record<string, unknown>): Promise<Record<string, unknown>> {
  // The producer side of the stage's output contract: what is published always parses.
  const output = STAGE_DEFS[event.stage].output.parse(raw);
  await deps.events.publish({
    type: 'stage.completed',
    jobId: event.jobId,
    userId: event.userId,
    stage: event.stage,
    ...(event.clipId ? { clipId: event.clipId } : {}),
    output,
    eventId: derivedEventId(event.eventId, 'completed'),
  });
  return output;
}

/** Runs one stage.requested event (see the module comment). */
export async function runStage(event: StageRequest, deps: Deps, work: StageWork = STAGE_WORK[event.stage] as StageWork): Promise<StageRunResult> {
  const stage = event.stage;
  const fanOut = fanOutOf(stage);
  if (fanOut && !event.clipId) return { status: 'skipped', reason: `${stage} request without an item id` };
  // A fan-out item reads its record alongside the job (one round trip less per item).
  const [job, clip] = await Promise.all([
    deps.store.get(event.userId, event.jobId),
    fanOut && event.clipId ? deps.store.getClip(event.jobId, event.clipId) : undefined,
  ]);
  if (!job) return { status: 'skipped', reason: 'no such job' };
  if (job.status !== 'running') return { status: 'skipped', reason: `job is ${job.status}` };
  if (job.stage !== stage) return { status: 'skipped', reason: `job is at ${job.stage ?? 'none'}, not ${stage}` };

  if (clip?.status === 'ready') {
    // Rendered before (the completion may have been lost): announce it again, do not redo it.
    const output = await completed(deps, event, clipOutput(clip));
    return { status: 'completed', reason: 'already rendered', output };
  }

  const startedAt = deps.clock.now();
  // The items of a fan-out share one stage record: the first marks it running, the others skip
  // that write (the job was just read at this stage; the check after the work catches a cancel in
  // between).
  const alreadyRunning = Boolean(fanOut) && job.stages[stage]?.status === 'running';
  if (!alreadyRunning && !(await deps.store.stageStarted(job, stage, startedAt.toISOString()))) {
    return { status: 'skipped', reason: 'job moved on before the stage started' };
  }

  let outcome: StageOutcome;
  try {
    const options = jobOptionsSchema.parse(job.options);
    outcome = await work({ job, event, deps, options, limits: parseLimits(job.limits), ...(clip ? { clip } : {}) });
  } catch (err) {
    if (!(err instanceof PermanentError)) throw err;
    logger.warn('stage failed permanently', { stage, code: err.code, message: err.message });
    if (clip) await deps.store.updateClip(job.jobId, clip.clipId, { status: 'failed', error: { code: err.code, message: err.message } });
    await deps.events.publish({
      type: 'stage.failed',
      jobId: event.jobId,
      userId: event.userId,
      stage,
      ...(event.clipId ? { clipId: event.clipId } : {}),
      error: { code: err.code, message: err.message },
      eventId: derivedEventId(event.eventId, 'failed'),
    });
    return { status: 'failed', reason: err.code };
  }

  // Cancelled (or failed elsewhere) while we worked: stop here, announce nothing.
  const after = await deps.store.get(job.userId, job.jobId);
  if (!after || after.status !== 'running') return { status: 'skipped', reason: `job became ${after?.status ?? 'missing'} during ${stage}` };

  const finishedAt = deps.clock.now();
  // A fan-out's timing closes at its fan-in (the coordinator), not per item.
  if (!fanOut) {
    const ms = finishedAt.getTime() - startedAt.getTime();
    await deps.store.stageSucceeded(job, stage, { finishedAt: finishedAt.toISOString(), ms }, outcome.result ?? {});
  }
  const output = await completed(deps, event, outcome.output);
  return { status: 'completed', output };
}
