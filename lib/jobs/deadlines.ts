import type { Stage } from '../contracts/job-events.ts';
import { CONSUMER_TIMEOUT_SECONDS, STAGE_TABLE } from '../contracts/stage-table.ts';

/**
 * Function timeout (seconds) of each stage consumer and of the coordinator, from the stage table
 * (the generated functions and queues use the same numbers). A queue's VisibilityTimeout is 6× this,
 * so a crashed attempt is retried after 6T; a stage is overdue (the sweeper fails the job) after
 * DEADLINE_FACTOR × T.
 */
export const STAGE_TIMEOUT_SECONDS: Record<Stage | 'coordinator', number> = {
  ...(Object.fromEntries(STAGE_TABLE.map((s) => [s.name, s.timeoutSeconds])) as Record<Stage, number>),
  coordinator: CONSUMER_TIMEOUT_SECONDS.coordinator,
};

/** One lost attempt (6T of invisibility) plus one full retry (T). */
export const DEADLINE_FACTOR = 7;

/** A job still `queued` after this long never reached the coordinator. */
export const QUEUED_DEADLINE_SECONDS = 15 * 60;

export function stageDeadline(stage: Stage | null, now: Date): string {
  const seconds = stage ? STAGE_TIMEOUT_SECONDS[stage] * DEADLINE_FACTOR : QUEUED_DEADLINE_SECONDS;
  return new Date(now.getTime() + seconds * 1000).toISOString();
}

/** Delay before the next attempt of a transiently failed record: base·2^(n-1), capped. */
export function retryDelaySeconds(receiveCount: number, baseSeconds: number, capSeconds = 900): number {
  const n = Math.max(1, Math.floor(receiveCount));
  return Math.min(capSeconds, Math.round(baseSeconds * 2 ** (n - 1)));
}
