import { route, json } from '../../lib/http/http.ts';
import { logoutBody } from '../../lib/contracts/auth.ts';
import { cognitoDeps, logout } from '../../lib/auth/cognito-api.ts';
import { revokeSession } from '../../lib/auth/revocation.ts';

/**
 * POST /auth/logout {refreshToken} (authenticated) → 204: the refresh token is revoked at Cognito,
 * and the session of the calling access token is recorded as signed out, so its access tokens
 * stop working here at once (not only when they expire).
 */
export const handler = route({ body: logoutBody }, async (req) => {
  // Ours first: if Cognito then fails, the access tokens are already refused here.
  await revokeSession({ sessionId: req.user.sessionId ?? '', userId: req.user.sub });
  await logout(cognitoDeps(), req.body.refreshToken);
  return json(204);
});
