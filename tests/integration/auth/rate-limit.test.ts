import { describe, expect, it } from '@jest/globals';
import { randomInt, randomUUID } from 'node:crypto';
import { handler as forgot } from '../../../functions/http/auth-forgot.ts';
import { handler as signin } from '../../../functions/http/auth-signin.ts';
import { AUTH_LIMITS } from '../../../lib/auth/rate-limit.ts';
import { invoke } from '../../factories/invoke.ts';

/** The application limits with real DynamoDB Local counters, calling the handlers in-process. */
const ip = () => `10.${randomInt(255)}.${randomInt(255)}.${randomInt(255)}`;

describe('auth rate limits (DynamoDB counters)', () => {
  it('limits /auth/forgot per email across IPs: 429 with Retry-After', async () => {
    const email = `limit-${randomUUID()}@example.test`;
    const { limit } = AUTH_LIMITS.forgot.email!;
    for (let i = 0; i < limit; i++) {
      const res = await invoke(forgot, { method: 'POST', path: '/auth/forgot', body: { email }, sourceIp: ip() });
      expect(res.status).toBe(202);
    }
    const limited = await invoke(forgot, { method: 'POST', path: '/auth/forgot', body: { email }, sourceIp: ip() });
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('limits /auth/signin per email (credential stuffing) without touching other accounts', async () => {
    const victim = `victim-${randomUUID()}@example.test`;
    const { limit } = AUTH_LIMITS.signin.email!;
    const answers: number[] = [];
    for (let i = 0; i <= limit; i++) {
      answers.push((await invoke(signin, { method: 'POST', path: '/auth/signin', body: { email: victim, password: `Guess-${i}-Aa1!` }, sourceIp: ip() })).status);
    }
    expect(answers.slice(0, limit).every((s) => s === 401)).toBe(true);
    expect(answers[limit]).toBe(429);
    const other = await invoke(signin, { method: 'POST', path: '/auth/signin', body: { email: `other-${randomUUID()}@example.test`, password: 'Guess-Aa1!xxxx' }, sourceIp: ip() });
    expect(other.status).toBe(401);
  });
});
