import { route, json } from '../../lib/http/http.ts';
import { logoutBody } from '../../lib/contracts/auth.ts';
import { bearerToken } from '../../lib/auth/index.ts';
import { signOut } from '../../lib/auth/signout.ts';

/**
 * POST /auth/logout {refreshToken, everywhere?} (authenticated) → 204: the session's access tokens
 * (everywhere: every session's) stop working at once, their sockets close, Cognito revokes the
 * refresh token (lib/auth/signout.ts).
 */
export const handler = route({ body: logoutBody }, async (req) => {
  await signOut({ user: req.user, accessToken: bearerToken(req.headers.authorization) ?? '', refreshToken: req.body.refreshToken, everywhere: req.body.everywhere });
  return json(204);
});
