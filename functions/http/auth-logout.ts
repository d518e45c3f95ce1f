import { route, json } from '../../lib/http/http.ts';
import { logoutBody } from '../../lib/contracts/auth.ts';
import { bearerToken } from '../../lib/auth/index.ts';
import { cognitoDeps, globalSignOut, logout } from '../../lib/auth/cognito-api.ts';
import { revokeAllSessions, revokeSession } from '../../lib/auth/revocation.ts';

/**
 * POST /auth/logout {refreshToken, everywhere?} (authenticated) → 204. The sign-out is recorded
 * first (ours: if Cognito then fails, the access tokens are already refused here), so the
 * session's access tokens — with `everywhere`, every session's — stop working at once instead
 * of when they expire; then Cognito revokes the refresh token (everywhere: GlobalSignOut too).
 */
export const handler = route({ body: logoutBody }, async (req) => {
  const deps = cognitoDeps();
  if (req.body.everywhere) {
    await revokeAllSessions(req.user.sub);
    await globalSignOut(deps, bearerToken(req.headers.authorization) ?? '');
  } else {
    await revokeSession({ sessionId: req.user.sessionId ?? '', userId: req.user.sub });
  }
  await logout(deps, req.body.refreshToken);
  return json(204);
});
