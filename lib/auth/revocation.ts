import { PutItemCommand } from 'dynamodb-toolbox/entity/actions/put';
import { QueryCommand } from 'dynamodb-toolbox/table/actions/query';
import { AppTable } from '../db/table.ts';
import { RevokedSessionEntity } from '../db/revoked-session.ts';
import { UnavailableError } from '../http/errors.ts';
import { logger } from '../http/logger.ts';

/**
 * Signed-out sessions. An access token is a signed JWT, valid until it expires (30 minutes): after
 * sign-out, Cognito rejects it for its own APIs, but our verifier alone would still accept it. So
 * POST /auth/logout also records the sign-out, and every verified request checks the user's
 * records (one strongly consistent Query):
 *   - one session (`sessionIdOf` in verifier.ts): that session's tokens are refused;
 *   - everywhere: every token whose sign-in (`auth_time`, else `iat`) came before it is refused.
 */

/**
 * How long a record is kept: Cognito access tokens live at most one day (ours: 30 minutes,
 * resources/cognito.yml), so a day after sign-out no token it concerns can still be valid.
 */
const KEEP_SECONDS = 24 * 3600 + 300;

const epochSeconds = (d: Date) => Math.floor(d.getTime() / 1000);
export const sessionScope = (sessionId: string) => `SESSION#${sessionId}`;
export const EVERYWHERE_SCOPE = 'ALL';

/** One sign-out record: a session, or everything signed in up to `before` (epoch seconds). */
export interface SignOutRule {
  scope: string;
  before?: number;
}

/** Sign out one session. Returns the rule it recorded. */
export async function revokeSession(session: { sessionId: string; userId: string }, now = new Date()): Promise<SignOutRule> {
  if (!session.sessionId) throw new Error('revokeSession needs the session id of a verified token');
  const rule = { scope: sessionScope(session.sessionId) };
  await RevokedSessionEntity.build(PutItemCommand)
    .item({ userId: session.userId, ...rule, revokedAt: now.toISOString(), expiresAt: epochSeconds(now) + KEEP_SECONDS })
    .send();
  return rule;
}

/** Sign out everywhere: every sign-in of the user up to `now` is over. Returns the rule it recorded. */
export async function revokeAllSessions(userId: string, now = new Date()): Promise<SignOutRule> {
  const rule = { scope: EVERYWHERE_SCOPE, before: epochSeconds(now) };
  await RevokedSessionEntity.build(PutItemCommand)
    .item({ userId, ...rule, revokedAt: now.toISOString(), expiresAt: epochSeconds(now) + KEEP_SECONDS })
    .send();
  return rule;
}

export interface TokenSession {
  sessionId: string;
  /** When the user signed in (auth_time, else iat), epoch seconds. */
  signedInAt?: number;
}

/** Pure: does one of the user's sign-out records cover this token? */
export function coveredBy(records: SignOutRule[], token: TokenSession): boolean {
  return records.some((r) =>
    r.scope === EVERYWHERE_SCOPE ? r.before !== undefined && (token.signedInAt ?? 0) <= r.before : r.scope === sessionScope(token.sessionId),
  );
}

/** True when the token's session was signed out. A list that cannot be read → 503 (never a silent pass). */
export async function isSessionRevoked(token: TokenSession & { sub: string }): Promise<boolean> {
  try {
    const { Items = [] } = await AppTable.build(QueryCommand)
      .entities(RevokedSessionEntity)
      .query({ partition: `REVOKED#${token.sub}` })
      .options({ consistent: true, maxPages: 2 })
      .send();
    return coveredBy(Items, token);
  } catch (err) {
    logger.error('could not check the sign-out records', { err });
    throw new UnavailableError('Cannot check the session right now; please retry');
  }
}
