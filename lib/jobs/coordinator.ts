import type { JobEvent, Stage } from '../contracts/job-events.ts';
import { fanOutOf, nextStage } from '../contracts/stage-table.ts';
import { logger } from '../http/logger.ts';
import { stageDeadline } from './deadlines.ts';
import { derivedEventId, publishFinished, publishProgress } from './events.ts';
import type { Deps } from './ports.ts';
import type { JobRecord } from './store.ts';
import { isTerminal, nextStep, fanOutProgress, type Action, type Step, type WorkflowEvent, type WorkflowJob } from './workflow.ts';

export type CoordinatorDeps = Pick<Deps, 'store' | 'events' | 'billing' | 'clock'>;

export const workflowView = (job: JobRecord): WorkflowJob => ({
  status: job.status,
  stage: (job.stage as Stage | undefined) ?? null,
  clipCount: job.clipCount,
  clipsDone: job.clipsDone,
  clipsFailed: job.clipsFailed,
  stages: job.stages,
});

async function perform(actions: Action[], job: JobRecord, cause: JobEvent, deps: CoordinatorDeps): Promise<void> {
  for (const action of actions) {
    switch (action.type) {
      case 'requestStage': {
        const ids = action.clipIds ?? [undefined];
        await deps.events.publish(
          ...ids.map((clipId) => ({
            type: 'stage.requested' as const,
            jobId: job.jobId,
            userId: job.userId,
            stage: action.stage,
            ...(clipId ? { clipId } : {}),
            eventId: derivedEventId(cause.eventId, `request:${action.stage}:${clipId ?? ''}`),
          })),
        );
        break;
      }
      case 'refund':
        await deps.billing.refundCredits({ userId: job.userId, jobId: job.jobId, reason: action.reason });
        break;
      case 'publishFinished':
        await publishFinished(deps.events, job);
        break;
      case 'publishProgress':
        await publishProgress(deps.events, job);
        break;
    }
  }
}

/** A fan-out has no single stage attempt: its timing closes when the fan-in moves on. */
function closeFanOut(job: JobRecord, next: Stage | null, now: Date): { stage: Stage; ms: number } | undefined {
  const stage = job.stage as Stage | undefined;
  if (!stage || !fanOutOf(stage) || !next || nextStage(stage) !== next) return undefined;
  const requested = job.stages[stage]?.requestedAt;
  return { stage, ms: requested ? now.getTime() - Date.parse(requested) : 0 };
}

/**
 * Applies the workflow to one coordinator event: reads the job, asks `nextStep`, applies the
 * transition with a conditional write (a lost race or a duplicate is a no-op), then performs the
 * actions. Returns what happened, for logs and tests.
 */
export async function coordinate(event: JobEvent, deps: CoordinatorDeps): Promise<string> {
  if (event.type !== 'job.requested' && event.type !== 'stage.completed' && event.type !== 'stage.failed' && event.type !== 'job.cancelled') {
    return `not a coordinator event: ${event.type}`;
  }
  const job = await deps.store.get(event.userId, event.jobId);
  if (!job) {
    logger.warn('event for a job that does not exist', { eventId: event.eventId });
    return 'no such job';
  }
  const now = deps.clock.now();
  let step: Step = nextStep(workflowView(job), event as WorkflowEvent);
  let current = job;

  if (step.kind === 'countClip') {
    const counted = await deps.store.countClip(job, step.clipId, step.ok, now.toISOString());
    // Already counted (a duplicate): re-evaluate anyway, so a fan-in whose advance was lost completes.
    current = counted ?? (await deps.store.get(job.userId, job.jobId)) ?? job;
    step = nextStep(workflowView(current), { type: 'clip.counted' });
    if (counted && step.kind === 'ignore') {
      const progress = fanOutProgress(counted);
      await deps.store.setProgress(counted, progress, now.toISOString());
      current = { ...counted, progress };
    }
  }

  if (step.kind === 'countClip') return 'unexpected nested count';
  if (step.kind === 'ignore') {
    await perform(step.actions, current, event, deps);
    return step.reason;
  }

  const nowIso = now.toISOString();
  const updated = isTerminal(step.to.status)
    ? await deps.store.finish(current, step.to, nowIso, step.from)
    : await deps.store.advance(current, step.from, step.to, nowIso, stageDeadline(step.to.stage, now), closeFanOut(current, step.to.stage, now));
  if (!updated) return 'lost the race: the job moved on';
  await perform(step.actions, updated, event, deps);
  return `${step.from.status}/${step.from.stage ?? '-'} → ${updated.status}/${updated.stage ?? '-'}`;
}
