import { describe, expect, it } from '@jest/globals';
import {
  associateTotp,
  confirmSignUp,
  disableMfa,
  forgotPassword,
  getProfile,
  listUsers,
  logout,
  otpauthUri,
  refresh,
  respondMfa,
  resetPassword,
  signIn,
  signUp,
  updateProfile,
  verifyTotp,
  type CognitoDeps,
} from '../../../lib/auth/cognito-api.ts';
import { mapCognitoError, type AuthOperation } from '../../../lib/auth/cognito-errors.ts';
import { HttpError } from '../../../lib/http/errors.ts';
import { rolesForGroups } from '../../../lib/auth/roles.ts';

/**
 * Cognito is replaced by a fake whose answers are shaped like real Cognito responses (the
 * AWS-only behaviours cognito-local does not reproduce: ExpiresIn on refresh, VerifySoftwareToken
 * status, rotation of refresh tokens, pagination, exception names).
 */
type Reply = Record<string, unknown> | Error;
function fakeCognito(replies: Record<string, Reply | ((input: Record<string, unknown>) => Reply)>) {
  const calls: { command: string; input: Record<string, unknown> }[] = [];
  const client = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const name = command.constructor.name.replace(/Command$/, '');
      calls.push({ command: name, input: command.input });
      const reply = replies[name];
      if (reply === undefined) throw new Error(`unexpected call ${name}`);
      const value = typeof reply === 'function' ? reply(command.input) : reply;
      if (value instanceof Error) throw value;
      return value;
    },
  };
  const deps: CognitoDeps = { client: client as unknown as CognitoDeps['client'], userPoolId: 'us-east-1_Pool', clientId: 'client123' };
  return { deps, calls };
}

const cognitoError = (name: string, message = name) => Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: 400 } });
const jwtWithExp = (exp: number) => `h.${Buffer.from(JSON.stringify({ exp })).toString('base64url')}.s`;
const user = { sub: 'sub-1', groups: ['support'], roles: rolesForGroups(['support']), clientId: 'client123', scopes: [] };

describe('identity flows against recorded Cognito responses', () => {
  it('signUp sends email + name and returns the sub', async () => {
    const { deps, calls } = fakeCognito({ SignUp: { UserSub: 'abc', UserConfirmed: false, CodeDeliveryDetails: { DeliveryMedium: 'EMAIL' } } });
    await expect(signUp(deps, { email: 'a@b.co', password: 'Aa1!aaaaaaaa', name: 'Ann' })).resolves.toEqual({ userSub: 'abc', confirmed: false });
    expect(calls[0]).toEqual({
      command: 'SignUp',
      input: { ClientId: 'client123', Username: 'a@b.co', Password: 'Aa1!aaaaaaaa', UserAttributes: [{ Name: 'email', Value: 'a@b.co' }, { Name: 'name', Value: 'Ann' }] },
    });
  });

  it('signIn returns tokens with ExpiresIn from Cognito', async () => {
    const { deps } = fakeCognito({ InitiateAuth: { AuthenticationResult: { AccessToken: 'at', IdToken: 'it', RefreshToken: 'rt', ExpiresIn: 1800, TokenType: 'Bearer' }, ChallengeParameters: {} } });
    await expect(signIn(deps, { email: 'a@b.co', password: 'x' })).resolves.toEqual({ accessToken: 'at', idToken: 'it', refreshToken: 'rt', expiresIn: 1800, tokenType: 'Bearer' });
  });

  it('signIn returns the SOFTWARE_TOKEN_MFA challenge with its session', async () => {
    const { deps } = fakeCognito({ InitiateAuth: { ChallengeName: 'SOFTWARE_TOKEN_MFA', Session: 'AYABe-session', ChallengeParameters: { USER_ID_FOR_SRP: 'sub-1' } } });
    await expect(signIn(deps, { email: 'a@b.co', password: 'x' })).resolves.toEqual({ challenge: 'SOFTWARE_TOKEN_MFA', session: 'AYABe-session' });
  });

  it('signIn refuses challenges this API does not run (403, not 500)', async () => {
    const { deps } = fakeCognito({ InitiateAuth: { ChallengeName: 'NEW_PASSWORD_REQUIRED', Session: 's' } });
    await expect(signIn(deps, { email: 'a@b.co', password: 'x' })).rejects.toMatchObject({ status: 403, code: 'CHALLENGE_NOT_SUPPORTED' });
  });

  it('respondMfa sends the session, the username and the code', async () => {
    const { deps, calls } = fakeCognito({ RespondToAuthChallenge: { AuthenticationResult: { AccessToken: 'at', IdToken: 'it', RefreshToken: 'rt', ExpiresIn: 1800 } } });
    await respondMfa(deps, { email: 'a@b.co', session: 'sess', code: '123456' });
    expect(calls[0]?.input).toEqual({ ClientId: 'client123', ChallengeName: 'SOFTWARE_TOKEN_MFA', Session: 'sess', ChallengeResponses: { USERNAME: 'a@b.co', SOFTWARE_TOKEN_MFA_CODE: '123456' } });
  });

  it('refresh derives expiresIn from the token when Cognito omits it, and passes a rotated refresh token on', async () => {
    const exp = Math.floor(Date.now() / 1000) + 900;
    const { deps } = fakeCognito({ InitiateAuth: { AuthenticationResult: { AccessToken: jwtWithExp(exp), IdToken: 'it', RefreshToken: 'rotated' } } });
    const tokens = await refresh(deps, 'rt');
    expect(tokens.expiresIn).toBeGreaterThan(890);
    expect(tokens.expiresIn).toBeLessThanOrEqual(900);
    expect(tokens.refreshToken).toBe('rotated');
  });

  it('forgotPassword answers the same for unknown and unverified accounts', async () => {
    for (const err of [cognitoError('UserNotFoundException'), cognitoError('InvalidParameterException', 'Cannot reset password for the user as there is no registered/verified email or phone_number')]) {
      const { deps } = fakeCognito({ ForgotPassword: err });
      await expect(forgotPassword(deps, { email: 'nobody@b.co' })).resolves.toBeUndefined();
    }
    const { deps } = fakeCognito({ ForgotPassword: cognitoError('LimitExceededException', 'Attempt limit exceeded') });
    await expect(forgotPassword(deps, { email: 'a@b.co' })).rejects.toMatchObject({ status: 429 });
  });

  it('reset and confirm map wrong / expired codes to 400', async () => {
    const wrong = fakeCognito({ ConfirmForgotPassword: cognitoError('CodeMismatchException') });
    await expect(resetPassword(wrong.deps, { email: 'a@b.co', code: '123456', password: 'Aa1!aaaaaaaa' })).rejects.toMatchObject({ status: 400, code: 'CODE_MISMATCH' });
    const expired = fakeCognito({ ConfirmSignUp: cognitoError('ExpiredCodeException') });
    await expect(confirmSignUp(expired.deps, { email: 'a@b.co', code: '123456' })).rejects.toMatchObject({ status: 400, code: 'CODE_EXPIRED' });
    const done = fakeCognito({ ConfirmSignUp: cognitoError('NotAuthorizedException', 'User cannot be confirmed. Current status is CONFIRMED') });
    await expect(confirmSignUp(done.deps, { email: 'a@b.co', code: '123456' })).rejects.toMatchObject({ status: 409, code: 'ALREADY_CONFIRMED' });
  });

  it('logout revokes the token and is idempotent', async () => {
    const ok = fakeCognito({ RevokeToken: {} });
    await logout(ok.deps, 'rt');
    expect(ok.calls[0]).toEqual({ command: 'RevokeToken', input: { ClientId: 'client123', Token: 'rt' } });
    const gone = fakeCognito({ RevokeToken: cognitoError('NotAuthorizedException') });
    await expect(logout(gone.deps, 'rt')).resolves.toBeUndefined();
  });

  it('getProfile combines Cognito attributes with the verified groups, and refuses a mismatched sub', async () => {
    const reply = { Username: 'sub-1', UserAttributes: [{ Name: 'sub', Value: 'sub-1' }, { Name: 'email', Value: 'a@b.co' }, { Name: 'email_verified', Value: 'true' }, { Name: 'name', Value: 'Ann' }, { Name: 'custom:tier', Value: 'pro' }], UserMFASettingList: ['SOFTWARE_TOKEN_MFA'] };
    const { deps } = fakeCognito({ GetUser: reply });
    await expect(getProfile(deps, 'at', user)).resolves.toEqual({
      sub: 'sub-1', email: 'a@b.co', emailVerified: true, name: 'Ann', locale: undefined, tier: 'pro', groups: ['support'], roles: ['support', 'user'], mfaEnabled: true,
    });
    await expect(getProfile(deps, 'at', { ...user, sub: 'someone-else' })).rejects.toMatchObject({ status: 401 });
  });

  it('updateProfile writes only name and locale', async () => {
    const { deps, calls } = fakeCognito({ UpdateUserAttributes: {}, GetUser: { UserAttributes: [{ Name: 'sub', Value: 'sub-1' }, { Name: 'email', Value: 'a@b.co' }] } });
    await updateProfile(deps, 'at', user, { name: 'New', locale: 'pt-BR' });
    expect(calls[0]?.input).toEqual({ AccessToken: 'at', UserAttributes: [{ Name: 'name', Value: 'New' }, { Name: 'locale', Value: 'pt-BR' }] });
  });

  it('TOTP: associate returns an otpauth URI; verify enables and prefers TOTP; a failed verify is 400', async () => {
    const { deps, calls } = fakeCognito({
      GetUser: { UserAttributes: [{ Name: 'sub', Value: 'sub-1' }, { Name: 'email', Value: 'a+b@b.co' }] },
      AssociateSoftwareToken: { SecretCode: 'JBSWY3DPEHPK3PXP' },
      VerifySoftwareToken: { Status: 'SUCCESS' },
      SetUserMFAPreference: {},
    });
    const { otpauthUri: uri } = await associateTotp(deps, 'at', user);
    expect(uri).toBe('otpauth://totp/Clipforge:a%2Bb%40b.co?secret=JBSWY3DPEHPK3PXP&issuer=Clipforge&algorithm=SHA1&digits=6&period=30');
    await expect(verifyTotp(deps, 'at', '123456', 'phone')).resolves.toEqual({ mfaEnabled: true });
    expect(calls.at(-1)?.input).toEqual({ AccessToken: 'at', SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true } });
    await disableMfa(deps, 'at');
    expect(calls.at(-1)?.input).toEqual({ AccessToken: 'at', SoftwareTokenMfaSettings: { Enabled: false, PreferredMfa: false } });

    const failed = fakeCognito({ VerifySoftwareToken: { Status: 'ERROR' } });
    await expect(verifyTotp(failed.deps, 'at', '000000')).rejects.toMatchObject({ status: 400, code: 'CODE_MISMATCH' });
    const aws = fakeCognito({ VerifySoftwareToken: cognitoError('EnableSoftwareTokenMFAException', 'Code mismatch') });
    await expect(verifyTotp(aws.deps, 'at', '000000')).rejects.toMatchObject({ status: 400, code: 'CODE_MISMATCH' });
  });

  it('listUsers maps users, filters by email prefix and passes the pagination token', async () => {
    const { deps, calls } = fakeCognito({
      ListUsers: { Users: [{ Username: 'sub-1', Attributes: [{ Name: 'sub', Value: 'sub-1' }, { Name: 'email', Value: 'a@b.co' }], UserStatus: 'CONFIRMED', Enabled: true, UserCreateDate: new Date('2026-01-02T03:04:05Z') }], PaginationToken: 'next' },
    });
    await expect(listUsers(deps, { limit: 10, email: 'A@' })).resolves.toEqual({
      users: [{ sub: 'sub-1', email: 'a@b.co', name: undefined, status: 'CONFIRMED', enabled: true, createdAt: '2026-01-02T03:04:05.000Z' }],
      paginationToken: 'next',
    });
    expect(calls[0]?.input).toEqual({ UserPoolId: 'us-east-1_Pool', Limit: 10, PaginationToken: undefined, Filter: 'email ^= "a@"' });
  });

  it('otpauthUri encodes the label', () => {
    expect(otpauthUri('Clip Forge', 'x@y.z', 'ABC')).toBe('otpauth://totp/Clip%20Forge:x%40y.z?secret=ABC&issuer=Clip+Forge&algorithm=SHA1&digits=6&period=30');
  });
});

describe('Cognito exceptions → HTTP (never 500 for a client mistake)', () => {
  const table: [string, AuthOperation, number, string, string][] = [
    ['UsernameExistsException', 'signUp', 409, 'EMAIL_TAKEN', 'UsernameExistsException'],
    ['InvalidPasswordException', 'signUp', 400, 'WEAK_PASSWORD', 'InvalidPasswordException'],
    ['InvalidPasswordException', 'reset', 400, 'WEAK_PASSWORD', 'InvalidPasswordException'],
    ['InvalidPasswordException', 'signIn', 401, 'INVALID_CREDENTIALS', 'InvalidPasswordException'],
    ['NotAuthorizedException', 'signIn', 401, 'INVALID_CREDENTIALS', 'Incorrect username or password.'],
    ['NotAuthorizedException', 'signIn', 429, 'RATE_LIMITED', 'Password attempts exceeded'],
    ['NotAuthorizedException', 'refresh', 401, 'REFRESH_TOKEN_INVALID', 'Refresh Token has been revoked'],
    ['NotAuthorizedException', 'profile', 401, 'UNAUTHORIZED', 'Access Token has been revoked'],
    ['UserNotFoundException', 'signIn', 401, 'INVALID_CREDENTIALS', 'UserNotFoundException'],
    ['UserNotFoundException', 'reset', 400, 'CODE_MISMATCH', 'UserNotFoundException'],
    ['UserNotConfirmedException', 'signIn', 403, 'USER_NOT_CONFIRMED', 'UserNotConfirmedException'],
    ['PasswordResetRequiredException', 'signIn', 403, 'PASSWORD_RESET_REQUIRED', 'PasswordResetRequiredException'],
    ['CodeMismatchException', 'confirm', 400, 'CODE_MISMATCH', 'CodeMismatchException'],
    ['CodeMismatchException', 'respondMfa', 400, 'CODE_MISMATCH', 'CodeMismatchException'],
    ['ExpiredCodeException', 'reset', 400, 'CODE_EXPIRED', 'ExpiredCodeException'],
    ['LimitExceededException', 'forgot', 429, 'RATE_LIMITED', 'LimitExceededException'],
    ['TooManyRequestsException', 'signIn', 429, 'RATE_LIMITED', 'TooManyRequestsException'],
    ['TooManyFailedAttemptsException', 'respondMfa', 429, 'RATE_LIMITED', 'TooManyFailedAttemptsException'],
    ['InvalidParameterException', 'signUp', 400, 'BAD_REQUEST', '1 validation error detected'],
    ['InvalidParameterException', 'totp', 400, 'MFA_NOT_ENROLLED', 'User has not associated a software token'],
    ['SoftwareTokenMFANotFoundException', 'totp', 400, 'MFA_NOT_ENROLLED', 'SoftwareTokenMFANotFoundException'],
    ['AliasExistsException', 'signUp', 409, 'EMAIL_TAKEN', 'AliasExistsException'],
    ['CodeDeliveryFailureException', 'signUp', 503, 'UNAVAILABLE', 'CodeDeliveryFailureException'],
  ];
  it.each(table)('%s during %s → %i %s', (name, op, status, code, message) => {
    const mapped = mapCognitoError(cognitoError(name, message), op);
    expect(mapped).toBeInstanceOf(HttpError);
    expect(mapped).toMatchObject({ status, code });
  });

  it('leaves unknown errors alone (a real 500 the stack logs)', () => {
    const err = cognitoError('InternalErrorException');
    expect(mapCognitoError(err, 'signIn')).toBe(err);
  });
});
