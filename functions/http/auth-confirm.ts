import { publicRoute, json } from '../../lib/http/http.ts';
import { confirmBody } from '../../lib/contracts/auth.ts';
import { cognitoDeps, confirmSignUp } from '../../lib/auth/cognito-api.ts';
import { guardAuth } from '../../lib/auth/http.ts';

/** POST /auth/confirm {email,code} → 200 {confirmed:true}; wrong code 400. */
export const handler = publicRoute({ body: confirmBody }, async (req) => {
  await guardAuth('confirm', req, req.body.email);
  return json(200, await confirmSignUp(cognitoDeps(), req.body));
});
