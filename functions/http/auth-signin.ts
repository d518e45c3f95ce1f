import { publicRoute, json } from '../../lib/http/http.ts';
import { signInBody } from '../../lib/contracts/auth.ts';
import { cognitoDeps, signIn } from '../../lib/auth/cognito-api.ts';
import { guardAuth, NO_STORE } from '../../lib/auth/http.ts';

/** POST /auth/signin {email,password} → 200 tokens or {challenge:"SOFTWARE_TOKEN_MFA",session}; 401; 403 USER_NOT_CONFIRMED. */
export const handler = publicRoute({ body: signInBody }, async (req) => {
  await guardAuth('signin', req, req.body.email);
  return json(200, await signIn(cognitoDeps(), req.body), NO_STORE);
});
