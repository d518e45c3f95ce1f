import { route, json } from '../../lib/http/http.ts';
import { logoutBody } from '../../lib/contracts/auth.ts';
import { bearerToken } from '../../lib/auth/index.ts';
import { cognitoDeps, globalSignOut, logout } from '../../lib/auth/cognito-api.ts';
import { coveredBy, revokeAllSessions, revokeSession } from '../../lib/auth/revocation.ts';
import { closeSignedOutConnections, dynamoConnectionStore, managementPusher } from '../../lib/realtime/index.ts';
import { websocketManagement } from '../../lib/aws/clients.ts';
import { logger } from '../../lib/http/logger.ts';

/**
 * POST /auth/logout {refreshToken, everywhere?} (authenticated) → 204. The sign-out is recorded
 * first (ours: if Cognito then fails, the access tokens are already refused here), so the
 * session's access tokens — with `everywhere`, every session's — stop working at once instead
 * of when they expire; their open WebSockets are closed; then Cognito revokes the refresh token
 * (everywhere: GlobalSignOut too).
 */
export const handler = route({ body: logoutBody }, async (req) => {
  const deps = cognitoDeps();
  const { sub } = req.user;
  const rule = req.body.everywhere ? await revokeAllSessions(sub) : await revokeSession({ sessionId: req.user.sessionId ?? '', userId: sub });
  try {
    const sockets = { connections: dynamoConnectionStore, pusher: managementPusher(() => websocketManagement()) };
    await closeSignedOutConnections(sockets, sub, (session) => coveredBy([rule], session));
  } catch (err) {
    // The sockets' tokens are refused anyway; a socket left open only hears the user's own events until it ends.
    logger.warn('could not close the signed-out sessions\' sockets', { err });
  }
  if (req.body.everywhere) await globalSignOut(deps, bearerToken(req.headers.authorization) ?? '');
  await logout(deps, req.body.refreshToken);
  return json(204);
});
