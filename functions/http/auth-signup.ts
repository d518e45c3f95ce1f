import { publicRoute, json } from '../../lib/http/http.ts';
import { signUpBody } from '../../lib/contracts/auth.ts';
import { cognitoDeps, signUp } from '../../lib/auth/cognito-api.ts';
import { guardAuth } from '../../lib/auth/http.ts';

/** POST /auth/signup {email,password,name} → 201 {userSub, confirmed}; weak password 400; taken email 409. */
export const handler = publicRoute({ body: signUpBody }, async (req) => {
  await guardAuth('signup', req, req.body.email);
  return json(201, await signUp(cognitoDeps(), req.body));
});
