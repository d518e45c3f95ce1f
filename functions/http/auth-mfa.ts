import { publicRoute, json } from '../../lib/http/http.ts';
import { mfaBody } from '../../lib/contracts/auth.ts';
import { cognitoDeps, respondMfa } from '../../lib/auth/cognito-api.ts';
import { guardAuth, NO_STORE } from '../../lib/auth/http.ts';

/** POST /auth/mfa {email,session,code} → 200 tokens; wrong code 400. */
export const handler = publicRoute({ body: mfaBody }, async (req) => {
  await guardAuth('mfa', req, req.body.email);
  return json(200, await respondMfa(cognitoDeps(), req.body), NO_STORE);
});
