import { websocketManagement } from '../aws/clients.ts';
import { logger } from '../http/logger.ts';
import { closeSignedOutConnections, dynamoConnectionStore, managementPusher } from '../realtime/index.ts';
import { cognitoDeps, globalSignOut, logout } from './cognito-api.ts';
import { coveredBy, revokeAllSessions, revokeSession } from './revocation.ts';
import type { AuthUser } from './verifier.ts';

/**
 * Sign-out (POST /auth/logout). In this order:
 *  1. record it (lib/auth/revocation.ts): the session's access tokens — with `everywhere`, every
 *     sign-in's up to now — are refused from here on, even if Cognito fails below;
 *  2. close the WebSockets it covers (best effort: a failure is logged, the sign-out stands);
 *  3. Cognito: GlobalSignOut when `everywhere` (skipped where unsupported), and RevokeToken.
 */
export async function signOut(input: { user: AuthUser; accessToken: string; refreshToken: string; everywhere?: boolean }): Promise<void> {
  const { user, everywhere } = input;
  const rule = everywhere ? await revokeAllSessions(user.sub) : await revokeSession({ sessionId: user.sessionId ?? '', userId: user.sub });
  try {
    const sockets = { connections: dynamoConnectionStore, pusher: managementPusher(() => websocketManagement()) };
    await closeSignedOutConnections(sockets, user.sub, (session) => coveredBy([rule], session));
  } catch (err) {
    // Those sockets' tokens are refused on any new connect; one left open only hears the user's own events until it ends.
    logger.warn("could not close the signed-out sessions' sockets", { err });
  }
  const cognito = cognitoDeps();
  if (everywhere) await globalSignOut(cognito, input.accessToken);
  await logout(cognito, input.refreshToken);
}
