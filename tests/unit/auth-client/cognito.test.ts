import { describe, expect, test } from '@jest/globals';
import { AuthError, authConfigFromEnv, authErrorMessage, createCognitoClient, otpauthUri, regionFromPoolId } from '../../../lib/auth-client/index.ts';
import { cognitoFetch, fakeJwt } from './helpers.ts';

const config = { clientId: 'client-1', region: 'us-east-1', endpoint: 'http://127.0.0.1:9/' };
const exp = Math.floor(Date.now() / 1000) + 3600;
const auth = { AccessToken: fakeJwt({ sub: 'u1', exp }), IdToken: fakeJwt({ sub: 'u1', email: 'a@b.co', exp }), RefreshToken: 'r1', ExpiresIn: 3600 };

describe('Cognito client over the JSON API', () => {
  test('sign-up sends the email as username and the name attribute', async () => {
    const { fetch, calls } = cognitoFetch({ SignUp: () => ({ body: { UserSub: 'sub-1', UserConfirmed: false } }) });
    const client = createCognitoClient({ config, fetch });
    await expect(client.signUp({ email: 'a@b.co', password: 'Secret-Pass-123', name: 'Ada' })).resolves.toEqual({ userSub: 'sub-1', confirmed: false });
    expect(calls[0]).toEqual({
      target: 'SignUp',
      body: { ClientId: 'client-1', Username: 'a@b.co', Password: 'Secret-Pass-123', UserAttributes: [{ Name: 'email', Value: 'a@b.co' }, { Name: 'name', Value: 'Ada' }] },
    });
  });

  test('sign-in returns tokens with the expiry taken from the access token', async () => {
    const { fetch, calls } = cognitoFetch({ InitiateAuth: () => ({ body: { AuthenticationResult: auth } }) });
    const result = await createCognitoClient({ config, fetch }).signIn({ email: 'a@b.co', password: 'pw' });
    expect(result).toEqual({ kind: 'tokens', tokens: { accessToken: auth.AccessToken, idToken: auth.IdToken, refreshToken: 'r1', expiresAt: exp * 1000 } });
    expect(calls[0]?.body).toMatchObject({ AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'a@b.co', PASSWORD: 'pw' } });
  });

  test('sign-in with TOTP on yields the MFA challenge, answered with RespondToAuthChallenge', async () => {
    const { fetch, calls } = cognitoFetch({
      InitiateAuth: () => ({ body: { ChallengeName: 'SOFTWARE_TOKEN_MFA', Session: 'sess-1' } }),
      RespondToAuthChallenge: (b) =>
        (b.ChallengeResponses as Record<string, string>).SOFTWARE_TOKEN_MFA_CODE === '123456'
          ? { body: { AuthenticationResult: auth } }
          : { status: 400, body: { __type: 'CodeMismatchException', message: 'Invalid code' } },
    });
    const client = createCognitoClient({ config, fetch });
    const first = await client.signIn({ email: 'a@b.co', password: 'pw' });
    expect(first).toEqual({ kind: 'mfa', challenge: 'SOFTWARE_TOKEN_MFA', session: 'sess-1' });
    await expect(client.respondToMfa({ email: 'a@b.co', session: 'sess-1', code: '000000' })).rejects.toMatchObject({ code: 'CodeMismatchException' });
    const tokens = await client.respondToMfa({ email: 'a@b.co', session: 'sess-1', code: '123456' });
    expect(tokens.refreshToken).toBe('r1');
    expect(calls.at(-1)?.body).toMatchObject({ ChallengeName: 'SOFTWARE_TOKEN_MFA', Session: 'sess-1', ChallengeResponses: { USERNAME: 'a@b.co' } });
  });

  test('refresh keeps the refresh token Cognito does not return again', async () => {
    const { fetch } = cognitoFetch({ InitiateAuth: () => ({ body: { AuthenticationResult: { ...auth, RefreshToken: undefined } } }) });
    const tokens = await createCognitoClient({ config, fetch }).refresh('keep-me');
    expect(tokens.refreshToken).toBe('keep-me');
  });

  test('errors carry the exception name without the namespace, and map to friendly messages', async () => {
    const { fetch } = cognitoFetch({
      InitiateAuth: () => ({ status: 400, body: { __type: 'com.amazonaws.cognito#NotAuthorizedException', message: 'Incorrect username or password.' } }),
    });
    const err = await createCognitoClient({ config, fetch }).signIn({ email: 'a@b.co', password: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(err).toMatchObject({ code: 'NotAuthorizedException', status: 400 });
    expect(authErrorMessage(err)).toBe('Incorrect email or password.');
    expect(authErrorMessage(new Error('boom'))).toBe('Something went wrong. Please try again.');
  });

  test('network failures become a NetworkError, non-JSON bodies an InvalidResponse', async () => {
    const down = createCognitoClient({ config, fetch: async () => Promise.reject(new TypeError('fetch failed')) });
    await expect(down.forgotPassword('a@b.co')).rejects.toMatchObject({ code: 'NetworkError', status: 503 });
    const html = createCognitoClient({ config, fetch: async () => ({ ok: false, status: 502, text: async () => '<html>' }) });
    await expect(html.forgotPassword('a@b.co')).rejects.toMatchObject({ code: 'InvalidResponse' });
  });

  test('forgot/reset, revoke, TOTP enrolment and profile calls use the documented operations', async () => {
    const { fetch, calls } = cognitoFetch({
      ForgotPassword: () => ({ body: {} }),
      ConfirmForgotPassword: () => ({ body: {} }),
      RevokeToken: () => ({ body: {} }),
      AssociateSoftwareToken: () => ({ body: { SecretCode: 'JBSWY3DPEHPK3PXP' } }),
      VerifySoftwareToken: () => ({ body: { Status: 'SUCCESS' } }),
      SetUserMFAPreference: () => ({ body: {} }),
      GetUser: () => ({ body: { Username: 'u1', UserAttributes: [{ Name: 'email', Value: 'a@b.co' }], UserMFASettingList: ['SOFTWARE_TOKEN_MFA'] } }),
    });
    const c = createCognitoClient({ config, fetch });
    await c.forgotPassword('a@b.co');
    await c.confirmForgotPassword({ email: 'a@b.co', code: '111', password: 'New-Pass-12345' });
    await c.revokeToken('r1');
    expect(await c.associateSoftwareToken('at')).toBe('JBSWY3DPEHPK3PXP');
    await c.verifySoftwareToken('at', '123456');
    await c.setTotpEnabled('at', false);
    expect(await c.getUser('at')).toEqual({ username: 'u1', attributes: { email: 'a@b.co' }, mfaEnabled: true });
    expect(calls.map((x) => x.target)).toEqual(['ForgotPassword', 'ConfirmForgotPassword', 'RevokeToken', 'AssociateSoftwareToken', 'VerifySoftwareToken', 'SetUserMFAPreference', 'GetUser']);
    expect(calls[2]?.body).toEqual({ ClientId: 'client-1', Token: 'r1' });
    expect(calls[5]?.body).toEqual({ AccessToken: 'at', SoftwareTokenMfaSettings: { Enabled: false, PreferredMfa: false } });
  });

  test('otpauth URI follows the key URI format', () => {
    const uri = otpauthUri({ secret: 'ABC', account: 'a@b.co', issuer: 'Clipforge' });
    expect(uri).toBe('otpauth://totp/Clipforge%3Aa%40b.co?secret=ABC&issuer=Clipforge&algorithm=SHA1&digits=6&period=30');
  });
});

describe('auth config from build-time env', () => {
  test('reads the names, derives the region from the pool id, parses providers', () => {
    const c = authConfigFromEnv({ WXT_USER_POOL_ID: 'eu-west-1_AbC', WXT_USER_POOL_CLIENT_ID: 'cid', WXT_SOCIAL_PROVIDERS: 'Google, Facebook' }, 'WXT_');
    expect(c).toMatchObject({ region: 'eu-west-1', userPoolId: 'eu-west-1_AbC', clientId: 'cid', socialProviders: ['Google', 'Facebook'] });
    expect(regionFromPoolId('local_clipforge')).toBeUndefined();
  });

  test('names the missing variable', () => {
    expect(() => authConfigFromEnv({ USER_POOL_ID: 'local_clipforge' })).toThrow(/USER_POOL_CLIENT_ID/);
    expect(() => authConfigFromEnv({ USER_POOL_ID: 'p', USER_POOL_CLIENT_ID: 'c', SOCIAL_PROVIDERS: 'Myspace' })).toThrow(/SOCIAL_PROVIDERS/);
  });
});
