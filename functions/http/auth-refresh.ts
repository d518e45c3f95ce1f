import { publicRoute, json } from '../../lib/http/http.ts';
import { refreshBody } from '../../lib/contracts/auth.ts';
import { cognitoDeps, refresh } from '../../lib/auth/cognito-api.ts';
import { guardAuth, NO_STORE } from '../../lib/auth/http.ts';

/** POST /auth/refresh {refreshToken} → 200 new access/id tokens; revoked or invalid token 401. */
export const handler = publicRoute({ body: refreshBody }, async (req) => {
  await guardAuth('refresh', req);
  return json(200, await refresh(cognitoDeps(), req.body.refreshToken), NO_STORE);
});
