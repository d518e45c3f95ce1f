import type { HttpRequest } from '../http/http.ts';
import { UnauthorizedError } from '../http/errors.ts';
import { config } from '../config/index.ts';
import { incrementCounter } from '../db/rate-limit.ts';
import { limitAuthAttempt, type AuthAction, type CounterStore } from './rate-limit.ts';
import { bearerToken } from './verifier.ts';

/** Glue between the identity handlers and the HTTP stack (keeps functions/http/* thin). */

export const dynamoCounterStore: CounterStore = { increment: incrementCounter };

/** The caller's IP as API Gateway saw it (never a client-supplied header). */
export const clientIp = (req: Pick<HttpRequest<unknown, unknown>, 'event'>): string | undefined =>
  req.event.requestContext?.http?.sourceIp;

/** Applies the per-IP and per-email limits of a public auth route; throws 429 when over. */
export function guardAuth(action: AuthAction, req: Pick<HttpRequest<unknown, unknown>, 'event'>, email?: string): Promise<void> {
  return limitAuthAttempt(dynamoCounterStore, action, { ip: clientIp(req), email }, config().AUTH_RATE_LIMIT_FACTOR);
}

/** The (already verified) access token of an authenticated request, for Cognito's token APIs. */
export function accessTokenOf(req: Pick<HttpRequest<unknown, unknown>, 'headers'>): string {
  const token = bearerToken(req.headers.authorization);
  if (!token) throw new UnauthorizedError('Missing bearer token');
  return token;
}

/** Token responses must never be cached. */
export const NO_STORE = { 'cache-control': 'no-store' } as const;
