import { GetItemCommand } from 'dynamodb-toolbox/entity/actions/get';
import { PutItemCommand } from 'dynamodb-toolbox/entity/actions/put';
import { RevokedSessionEntity } from '../db/revoked-session.ts';
import { UnavailableError } from '../http/errors.ts';
import { logger } from '../http/logger.ts';

/**
 * Signed-out sessions. An access token is a signed JWT, valid until it expires (30 minutes): after
 * sign-out, Cognito rejects it for its own APIs, but our verifier alone would still accept it. So
 * POST /auth/logout also records the session (`sessionIdOf` in verifier.ts), and every verified
 * request checks that record (one strongly consistent GetItem).
 */

/**
 * How long the record is kept: Cognito access tokens live at most one day (ours: 30 minutes,
 * resources/cognito.yml), so a day after sign-out no token of the session can still be valid.
 */
const KEEP_SECONDS = 24 * 3600 + 300;

export async function revokeSession(session: { sessionId: string; userId: string }, now = new Date()): Promise<void> {
  if (!session.sessionId) throw new Error('revokeSession needs the session id of a verified token');
  await RevokedSessionEntity.build(PutItemCommand)
    .item({ sessionId: session.sessionId, userId: session.userId, revokedAt: now.toISOString(), expiresAt: Math.floor(now.getTime() / 1000) + KEEP_SECONDS })
    .send();
}

/** True when the session was signed out. A table that cannot be read → 503 (never a silent pass). */
export async function isSessionRevoked(sessionId: string): Promise<boolean> {
  try {
    const { Item } = await RevokedSessionEntity.build(GetItemCommand).key({ sessionId }).options({ consistent: true, attributes: ['sessionId'] }).send();
    return Item !== undefined;
  } catch (err) {
    logger.error('could not check the session revocation list', { err });
    throw new UnavailableError('Cannot check the session right now; please retry');
  }
}
