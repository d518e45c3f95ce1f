import { route, json } from '../../lib/http/http.ts';
import { totpVerifyBody } from '../../lib/contracts/auth.ts';
import { cognitoDeps, verifyTotp } from '../../lib/auth/cognito-api.ts';
import { accessTokenOf } from '../../lib/auth/http.ts';

/** POST /me/mfa/totp/verify {code, deviceName?} → {mfaEnabled:true}; wrong code 400. */
export const handler = route({ body: totpVerifyBody }, async (req) => {
  return json(200, await verifyTotp(cognitoDeps(), accessTokenOf(req), req.body.code, req.body.deviceName));
});
