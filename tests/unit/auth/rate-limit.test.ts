import { describe, expect, it } from '@jest/globals';
import { AUTH_LIMITS, authChecks, enforceRateLimits, hashId, limitAuthAttempt, memoryCounterStore, type CounterStore } from '../../../lib/auth/rate-limit.ts';
import { HttpError } from '../../../lib/http/errors.ts';

describe('application rate limits (fixed windows)', () => {
  it('lets the limit through, then answers 429 with Retry-After until the window ends', async () => {
    const store = memoryCounterStore();
    const checks = [{ bucket: 'b', limit: 3, windowSeconds: 60 }];
    const t0 = Date.UTC(2026, 0, 1, 0, 0, 10);
    for (let i = 0; i < 3; i++) await enforceRateLimits(store, checks, t0);
    const err = (await enforceRateLimits(store, checks, t0).catch((e: unknown) => e)) as HttpError;
    expect(err.status).toBe(429);
    expect(err.code).toBe('RATE_LIMITED');
    expect(err.headers?.['retry-after']).toBe('50');
    // The next window starts fresh.
    await expect(enforceRateLimits(store, checks, t0 + 60_000)).resolves.toBeUndefined();
  });

  it('limits per email across IPs and per IP across emails', async () => {
    const store = memoryCounterStore();
    const { limit: emailLimit } = AUTH_LIMITS.signin.email!;
    for (let i = 0; i < emailLimit; i++) await limitAuthAttempt(store, 'signin', { ip: `10.0.0.${i}`, email: 'victim@x.io' });
    await expect(limitAuthAttempt(store, 'signin', { ip: '10.0.1.1', email: 'VICTIM@x.io ' })).rejects.toMatchObject({ status: 429 });
    // Another account from a fresh IP is unaffected.
    await expect(limitAuthAttempt(store, 'signin', { ip: '10.0.1.2', email: 'other@x.io' })).resolves.toBeUndefined();

    const ipStore = memoryCounterStore();
    const { limit: ipLimit } = AUTH_LIMITS.forgot.ip;
    for (let i = 0; i < ipLimit; i++) await limitAuthAttempt(ipStore, 'forgot', { ip: '10.9.9.9', email: `user${i}@x.io` });
    await expect(limitAuthAttempt(ipStore, 'forgot', { ip: '10.9.9.9', email: 'fresh@x.io' })).rejects.toMatchObject({ status: 429 });
  });

  it('hashes identifiers and scales limits by the configured factor', () => {
    const checks = authChecks('signup', { ip: '1.2.3.4', email: 'a@b.co' }, 10);
    expect(checks).toHaveLength(2);
    expect(checks.map((c) => c.limit)).toEqual([AUTH_LIMITS.signup.ip.limit * 10, AUTH_LIMITS.signup.email!.limit * 10]);
    expect(checks.every((c) => !c.bucket.includes('1.2.3.4') && !c.bucket.includes('a@b.co'))).toBe(true);
    expect(hashId('x')).toHaveLength(32);
    expect(authChecks('refresh', { ip: '1.2.3.4', email: 'a@b.co' })).toHaveLength(1);
  });

  it('fails closed (503 UNAVAILABLE) when the counter store is down', async () => {
    const broken: CounterStore = { increment: () => Promise.reject(new Error('DynamoDB unavailable')) };
    await expect(enforceRateLimits(broken, [{ bucket: 'b', limit: 1, windowSeconds: 60 }])).rejects.toMatchObject({ status: 503, code: 'UNAVAILABLE' });
  });
});
