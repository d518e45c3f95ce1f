import { route, json } from '../../lib/http/http.ts';
import { logoutBody } from '../../lib/contracts/auth.ts';
import { cognitoDeps, logout } from '../../lib/auth/cognito-api.ts';

/** POST /auth/logout {refreshToken} (authenticated) → 204; the refresh token is revoked. */
export const handler = route({ body: logoutBody }, async (req) => {
  await logout(cognitoDeps(), req.body.refreshToken);
  return json(204);
});
