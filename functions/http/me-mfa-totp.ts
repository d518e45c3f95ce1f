import { route, json } from '../../lib/http/http.ts';
import { associateTotp, cognitoDeps } from '../../lib/auth/cognito-api.ts';
import { accessTokenOf, NO_STORE } from '../../lib/auth/http.ts';

/** POST /me/mfa/totp → {secretCode, otpauthUri} to show as a QR code; enrolment ends with /verify. */
export const handler = route({}, async (req) => {
  return json(200, await associateTotp(cognitoDeps(), accessTokenOf(req), req.user), NO_STORE);
});
