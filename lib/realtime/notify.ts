import type { JobEvent } from '../contracts/job-events.ts';
import type { PushMessage } from '../contracts/realtime.ts';
import type { ConnectionStore, GetBalance, Pusher, SequenceStore } from './ports.ts';
import { creditsChanged, planMessages, type PlannedMessage } from './messages.ts';
import { fanOut, wants, type FanOutLog, type FanOutResult } from './push.ts';

export interface NotifierDeps {
  connections: ConnectionStore;
  sequences: SequenceStore;
  pusher: Pusher;
  /** Balance after a job settled; without it no credits.changed is sent. */
  getBalance?: GetBalance;
  log?: FanOutLog;
}

export interface Delivered {
  message: PushMessage;
  result: FanOutResult;
}

/**
 * Turns one job event into client messages and pushes each to the connections of the event's user
 * — only that user's: connections are looked up by `event.userId`, nothing else. Messages of one
 * event are numbered and sent in order. A user with no connection costs one query and no numbers.
 */
export async function notifyJobEvent(deps: NotifierDeps, event: JobEvent): Promise<Delivered[]> {
  const planned: PlannedMessage[] = planMessages(event);
  if (event.type === 'job.finished' && deps.getBalance) planned.push(creditsChanged(event, await deps.getBalance(event.userId)));
  if (planned.length === 0) return [];
  const connections = (await deps.connections.listByUser(event.userId)).filter((c) => c.userId === event.userId);
  const delivered: Delivered[] = [];
  for (const plan of planned) {
    const targets = connections.filter((c) => wants(c, plan.jobId));
    // Numbers are taken even with no live connection, so `seq` stays per-event stable and clips are counted.
    const message = plan.build(await deps.sequences.allocate(plan.stream, plan.messageKey, plan.clipId));
    delivered.push({ message, result: await fanOut(deps, targets, message) });
  }
  return delivered;
}
