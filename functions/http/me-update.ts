import { route, json } from '../../lib/http/http.ts';
import { updateProfileBody } from '../../lib/contracts/auth.ts';
import { cognitoDeps, updateProfile } from '../../lib/auth/cognito-api.ts';
import { accessTokenOf } from '../../lib/auth/http.ts';

/** PATCH /me {name?, locale?} → the updated profile; any other attribute → 400. */
export const handler = route({ body: updateProfileBody }, async (req) => {
  return json(200, await updateProfile(cognitoDeps(), accessTokenOf(req), req.user, req.body), { 'cache-control': 'no-store' });
});
