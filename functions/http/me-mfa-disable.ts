import { route, json } from '../../lib/http/http.ts';
import { cognitoDeps, disableMfa } from '../../lib/auth/cognito-api.ts';
import { accessTokenOf } from '../../lib/auth/http.ts';

/** DELETE /me/mfa → 204; TOTP MFA is off for the account. */
export const handler = route({}, async (req) => {
  await disableMfa(cognitoDeps(), accessTokenOf(req));
  return json(204);
});
