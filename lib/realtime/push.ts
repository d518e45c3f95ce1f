import type { PushMessage } from '../contracts/realtime.ts';
import type { ConnectionRecord, ConnectionStore, Pusher } from './ports.ts';
import { statusOf } from './management.ts';

export interface FanOutResult {
  sent: number;
  /** Connections that answered 410 and were deleted. */
  gone: number;
  /** Connections refused for a reason a retry cannot fix (4xx other than 410/429): logged, skipped. */
  rejected: number;
}

export interface FanOutLog {
  warn(message: string, extra?: Record<string, unknown>): void;
}

/** A failed push that a retry may fix (5xx, throttling, network): the notifier retries the event. */
export class PushRetryableError extends Error {
  override name = 'PushRetryableError';
  readonly failures: number;
  constructor(failures: number, cause: unknown) {
    super(`${failures} push(es) failed and will be retried`, { cause });
    this.failures = failures;
  }
}

/** Whether a connection should get a message: its subscriptions (if any) must include the job. */
export function wants(connection: ConnectionRecord, jobId: string | undefined): boolean {
  return jobId === undefined || connection.jobIds.length === 0 || connection.jobIds.includes(jobId);
}

const isPermanent = (err: unknown) => {
  const status = statusOf(err);
  return status !== undefined && status >= 400 && status < 500 && status !== 429;
};

/** Runs `fn` over `items` with at most `limit` in flight. */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++] as T);
  });
  await Promise.all(workers);
}

/**
 * Pushes one message to the given connections (all of them belong to the message's user: the caller
 * lists them by that user's id). 410 → the connection record is deleted. Throws PushRetryableError
 * after trying every connection if any push failed for a reason a retry may fix.
 */
export async function fanOut(
  deps: { connections: ConnectionStore; pusher: Pusher; log?: FanOutLog; concurrency?: number },
  connections: ConnectionRecord[],
  message: PushMessage,
): Promise<FanOutResult> {
  const data = JSON.stringify(message);
  const result: FanOutResult = { sent: 0, gone: 0, rejected: 0 };
  const retryable: unknown[] = [];
  await eachLimited(connections, deps.concurrency ?? 32, async (c) => {
    try {
      if ((await deps.pusher.post(c.connectionId, data)) === 'sent') {
        result.sent++;
        return;
      }
      result.gone++;
      await deps.connections.remove(c.userId, c.connectionId);
    } catch (err) {
      if (isPermanent(err)) {
        result.rejected++;
        deps.log?.warn('push refused', { connectionId: c.connectionId, status: statusOf(err), err });
      } else {
        retryable.push(err);
      }
    }
  });
  if (retryable.length) throw new PushRetryableError(retryable.length, retryable[0]);
  return result;
}
