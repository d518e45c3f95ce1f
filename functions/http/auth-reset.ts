import { publicRoute, json } from '../../lib/http/http.ts';
import { resetBody } from '../../lib/contracts/auth.ts';
import { cognitoDeps, resetPassword } from '../../lib/auth/cognito-api.ts';
import { guardAuth } from '../../lib/auth/http.ts';

/** POST /auth/reset {email,code,password} → 200 {reset:true}; wrong code or weak password 400. */
export const handler = publicRoute({ body: resetBody }, async (req) => {
  await guardAuth('reset', req, req.body.email);
  return json(200, await resetPassword(cognitoDeps(), req.body));
});
