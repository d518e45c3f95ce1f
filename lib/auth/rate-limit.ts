import { createHash } from 'node:crypto';
import { RateLimitedError, UnavailableError } from '../http/errors.ts';
import { logger } from '../http/logger.ts';

/** The unauthenticated identity routes, each with its own counters. */
export type AuthAction = 'signup' | 'confirm' | 'signin' | 'mfa' | 'refresh' | 'forgot' | 'reset';

export interface Limit {
  limit: number;
  windowSeconds: number;
}

/**
 * Fixed-window limits per client IP and per target email. The email limits stop credential
 * stuffing and code guessing against one account from many IPs; the IP limits stop one client
 * from spraying many accounts. API Gateway throttling (resources/cognito.yml) caps raw volume.
 */
export const AUTH_LIMITS: Readonly<Record<AuthAction, { ip: Limit; email?: Limit }>> = {
  signup: { ip: { limit: 50, windowSeconds: 3600 }, email: { limit: 5, windowSeconds: 3600 } },
  confirm: { ip: { limit: 100, windowSeconds: 300 }, email: { limit: 10, windowSeconds: 900 } },
  signin: { ip: { limit: 100, windowSeconds: 300 }, email: { limit: 10, windowSeconds: 300 } },
  mfa: { ip: { limit: 100, windowSeconds: 300 }, email: { limit: 10, windowSeconds: 300 } },
  refresh: { ip: { limit: 300, windowSeconds: 300 } },
  forgot: { ip: { limit: 30, windowSeconds: 3600 }, email: { limit: 5, windowSeconds: 3600 } },
  reset: { ip: { limit: 30, windowSeconds: 3600 }, email: { limit: 10, windowSeconds: 3600 } },
};

/** Where counters live: DynamoDB in the app (lib/db/rate-limit.ts), a Map in unit tests. */
export interface CounterStore {
  /** Adds one hit to (bucket, windowStart) and returns the count after it. */
  increment(bucket: string, windowStart: number, expiresAt: number): Promise<number>;
}

export interface RateLimitCheck extends Limit {
  bucket: string;
}

/** Identifiers are hashed: no raw IPs or email addresses in the table. */
export const hashId = (value: string): string => createHash('sha256').update(value).digest('base64url').slice(0, 32);

/**
 * Counts this request in every check's current window and throws RateLimitedError (429 with
 * Retry-After) when any count is over its limit. If the store fails, the request is refused
 * (fail closed, 503): an outage of the counters must not become a window for credential stuffing.
 */
export async function enforceRateLimits(store: CounterStore, checks: RateLimitCheck[], nowMs = Date.now()): Promise<void> {
  const now = Math.floor(nowMs / 1000);
  let counts: number[];
  try {
    counts = await Promise.all(
      checks.map((c) => {
        const windowStart = now - (now % c.windowSeconds);
        // Keep the item a little past its window so a late request never resurrects a fresh count.
        return store.increment(c.bucket, windowStart, windowStart + c.windowSeconds + 60);
      }),
    );
  } catch (err) {
    logger.error('rate limit store unavailable; refusing the request', { err });
    throw new UnavailableError('Sign-in is briefly unavailable; try again in a moment');
  }
  let retryAfter = 0;
  checks.forEach((c, i) => {
    if ((counts[i] ?? 0) > c.limit) {
      const windowStart = now - (now % c.windowSeconds);
      retryAfter = Math.max(retryAfter, windowStart + c.windowSeconds - now);
    }
  });
  if (retryAfter > 0) throw new RateLimitedError('Too many attempts; try again later', Math.max(1, retryAfter));
}

export interface AuthAttempt {
  ip: string | undefined;
  email?: string;
}

/** The checks for one auth request: per IP always, per email when the route names one. */
export function authChecks(action: AuthAction, attempt: AuthAttempt, factor = 1): RateLimitCheck[] {
  const policy = AUTH_LIMITS[action];
  const scale = (l: Limit): Limit => ({ windowSeconds: l.windowSeconds, limit: Math.max(1, Math.floor(l.limit * factor)) });
  const checks: RateLimitCheck[] = [{ bucket: `auth:${action}:ip:${hashId(attempt.ip || 'unknown')}`, ...scale(policy.ip) }];
  if (policy.email && attempt.email) {
    checks.push({ bucket: `auth:${action}:email:${hashId(attempt.email.trim().toLowerCase())}`, ...scale(policy.email) });
  }
  return checks;
}

export function limitAuthAttempt(store: CounterStore, action: AuthAction, attempt: AuthAttempt, factor = 1): Promise<void> {
  return enforceRateLimits(store, authChecks(action, attempt, factor));
}

/** In-memory store (unit tests, benchmarks). */
export function memoryCounterStore(): CounterStore & { size(): number } {
  const counts = new Map<string, number>();
  return {
    async increment(bucket, windowStart) {
      const key = `${bucket}@${windowStart}`;
      const next = (counts.get(key) ?? 0) + 1;
      counts.set(key, next);
      return next;
    },
    size: () => counts.size,
  };
}
