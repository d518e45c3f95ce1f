import { route, json } from '../../lib/http/http.ts';
import { cognitoDeps, getProfile } from '../../lib/auth/cognito-api.ts';
import { accessTokenOf } from '../../lib/auth/http.ts';

/** GET /me → {sub,email,emailVerified,name,locale,tier,groups,roles,mfaEnabled}. */
export const handler = route({}, async (req) => {
  return json(200, await getProfile(cognitoDeps(), accessTokenOf(req), req.user), { 'cache-control': 'no-store' });
});
