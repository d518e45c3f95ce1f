import { publicRoute, json } from '../../lib/http/http.ts';
import { forgotBody } from '../../lib/contracts/auth.ts';
import { cognitoDeps, forgotPassword } from '../../lib/auth/cognito-api.ts';
import { guardAuth } from '../../lib/auth/http.ts';

/** POST /auth/forgot {email} → 202, the same answer whether or not the account exists. */
export const handler = publicRoute({ body: forgotBody }, async (req) => {
  await guardAuth('forgot', req, req.body.email);
  await forgotPassword(cognitoDeps(), req.body);
  return json(202, { message: 'If an account exists for this email, we sent it a reset code.' });
});
