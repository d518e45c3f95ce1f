import { AsyncLocalStorage } from 'node:async_hooks';
import { Logger } from '@aws-lambda-powertools/logger';

/**
 * Structured JSON logs (Powertools). Every SQS record and every HTTP invocation runs in its own log
 * scope (`withLogScope`): a child logger carrying that unit's keys (jobId, userId, …), found through
 * AsyncLocalStorage. `logger` below always writes through the current scope's child, so lib code
 * just imports it — and two records handled side by side in one batch never see each other's keys,
 * nor does a request inherit the userId of the one before it.
 */
const root = new Logger({
  serviceName: 'clipforge',
  logLevel: (process.env.LOG_LEVEL as 'INFO' | 'SILENT' | undefined) ?? (process.env.NODE_ENV === 'test' ? 'SILENT' : 'INFO'),
});

const scopes = new AsyncLocalStorage<Logger>();

/** The logger of the current scope (the root outside any). */
export const logger: Logger = new Proxy(root, {
  get(target, prop) {
    const current = scopes.getStore() ?? target;
    const value: unknown = Reflect.get(current, prop, current);
    return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(current) : value;
  },
});

/** Runs `fn` with a child logger of the current one that adds `keys` to every line. */
export function withLogScope<T>(keys: Record<string, unknown>, fn: () => Promise<T>): Promise<T> {
  const child = (scopes.getStore() ?? root).createChild();
  child.appendKeys(keys);
  return scopes.run(child, fn);
}
