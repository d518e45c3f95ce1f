import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { generateSync } from 'otplib';
import { AdminAddUserToGroupCommand } from '@aws-sdk/client-cognito-identity-provider';
import { cognitoTestClient, createTestUser } from '../../support/users.ts';
import { call, codeFor, wrongCode } from './support.ts';

/** The identity API end to end through serverless-offline (API_URL) against cognito-local. */
const email = () => `auth-${randomUUID()}@example.test`;
const PASSWORD = 'Correct-Horse-42';
const totp = (secret: string) => generateSync({ secret, algorithm: 'sha1', digits: 6, period: 30 });

describe('sign-up → confirm → sign-in → /me → refresh → logout → refresh fails', () => {
  it('runs the whole account lifecycle', async () => {
    const address = email();
    const signUp = await call('POST', '/auth/signup', { body: { email: address, password: PASSWORD, name: 'Ada Lovelace' } });
    expect(signUp.status).toBe(201);
    expect(signUp.body).toEqual({ userSub: expect.any(String), confirmed: false });

    // Unconfirmed sign-in → 403 USER_NOT_CONFIRMED.
    const early = await call('POST', '/auth/signin', { body: { email: address, password: PASSWORD } });
    expect(early.status).toBe(403);
    expect(early.body).toMatchObject({ error: { code: 'USER_NOT_CONFIRMED' } });

    const code = await codeFor(address);
    const wrong = await call('POST', '/auth/confirm', { body: { email: address, code: wrongCode(code) } });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatchObject({ error: { code: 'CODE_MISMATCH' } });
    const confirm = await call('POST', '/auth/confirm', { body: { email: address, code } });
    expect(confirm.status).toBe(200);

    const badPassword = await call('POST', '/auth/signin', { body: { email: address, password: 'Wrong-Horse-42' } });
    expect(badPassword.status).toBe(401);
    expect(badPassword.body).toMatchObject({ error: { code: 'INVALID_CREDENTIALS' } });
    const unknown = await call('POST', '/auth/signin', { body: { email: email(), password: PASSWORD } });
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual(badPassword.body);

    const signIn = await call<{ accessToken: string; idToken: string; refreshToken: string; expiresIn: number }>('POST', '/auth/signin', { body: { email: address.toUpperCase(), password: PASSWORD } });
    expect(signIn.status).toBe(200);
    expect(signIn.headers.get('cache-control')).toBe('no-store');
    expect(signIn.body.expiresIn).toBeGreaterThan(0);

    const me = await call('GET', '/me', { token: signIn.body.accessToken });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ sub: signUp.body.userSub, email: address, name: 'Ada Lovelace', groups: [], roles: ['user'], mfaEnabled: false });

    // The ID token is not an access token.
    expect((await call('GET', '/me', { token: signIn.body.idToken })).status).toBe(401);

    const patched = await call('PATCH', '/me', { token: signIn.body.accessToken, body: { name: 'Ada King', locale: 'en-GB' } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'Ada King', locale: 'en-GB' });
    const forbidden = await call('PATCH', '/me', { token: signIn.body.accessToken, body: { email: 'evil@example.test' } });
    expect(forbidden.status).toBe(400);

    const refreshed = await call<{ accessToken: string }>('POST', '/auth/refresh', { body: { refreshToken: signIn.body.refreshToken } });
    expect(refreshed.status).toBe(200);
    expect((await call('GET', '/me', { token: refreshed.body.accessToken })).status).toBe(200);

    // Another device's session, which must outlive this one's sign-out.
    const otherDevice = await call<{ accessToken: string }>('POST', '/auth/signin', { body: { email: address, password: PASSWORD } });
    expect(otherDevice.status).toBe(200);

    // Logout needs a valid access token, then revokes the refresh token.
    expect((await call('POST', '/auth/logout', { body: { refreshToken: signIn.body.refreshToken } })).status).toBe(401);
    const logout = await call('POST', '/auth/logout', { token: refreshed.body.accessToken, body: { refreshToken: signIn.body.refreshToken } });
    expect(logout.status).toBe(204);
    const after = await call('POST', '/auth/refresh', { body: { refreshToken: signIn.body.refreshToken } });
    expect(after.status).toBe(401);
    expect(after.body).toMatchObject({ error: { code: 'REFRESH_TOKEN_INVALID' } });
    // The signed-out session's access token stops working at once, not when it expires …
    const revoked = await call('GET', '/me', { token: refreshed.body.accessToken });
    expect(revoked.status).toBe(401);
    expect(revoked.body).toMatchObject({ error: { code: 'UNAUTHORIZED', message: expect.stringMatching(/signed out/) } });
    expect((await call('GET', '/jobs', { token: refreshed.body.accessToken })).status).toBe(401);
    // … while the other device stays signed in.
    expect((await call('GET', '/me', { token: otherDevice.body.accessToken })).status).toBe(200);
  });

  it('sign out everywhere: every current session gets 401 at once; signing in again works', async () => {
    const user = await createTestUser({ prefix: 'everywhere' });
    const signIn = () => call<{ accessToken: string; refreshToken: string }>('POST', '/auth/signin', { body: { email: user.email, password: user.password } });
    const [laptop, phone] = [await signIn(), await signIn()];
    const me = async (token: string) => (await call('GET', '/me', { token })).status;
    expect([await me(laptop.body.accessToken), await me(phone.body.accessToken), await me(user.accessToken)]).toEqual([200, 200, 200]);

    const out = await call('POST', '/auth/logout', { token: laptop.body.accessToken, body: { refreshToken: laptop.body.refreshToken, everywhere: true } });
    expect(out.status).toBe(204);
    expect([await me(laptop.body.accessToken), await me(phone.body.accessToken), await me(user.accessToken)]).toEqual([401, 401, 401]);
    expect((await call('POST', '/auth/refresh', { body: { refreshToken: laptop.body.refreshToken } })).status).toBe(401);

    // Sign-in times have one-second resolution: a sign-in in a later second is a new one.
    await new Promise((r) => setTimeout(r, 1100));
    const again = await signIn();
    expect(again.status).toBe(200);
    expect(await me(again.body.accessToken)).toBe(200);
    expect((await call('POST', '/auth/logout', { token: again.body.accessToken, body: { refreshToken: 'x', everywhere: 'yes' } })).status).toBe(400);
  });

  it('refuses a weak password (naming the policy) and an existing email', async () => {
    const weak = await call<{ error: { code: string; message: string } }>('POST', '/auth/signup', { body: { email: email(), password: 'password', name: 'W' } });
    expect(weak.status).toBe(400);
    expect(JSON.stringify(weak.body)).toContain('at least 12 characters');
    const user = await createTestUser({ prefix: 'dup' });
    const dup = await call('POST', '/auth/signup', { body: { email: user.email, password: PASSWORD, name: 'Dup' } });
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ error: { code: 'EMAIL_TAKEN' } });
  });

  it('answers bad bodies with 400, never 500', async () => {
    for (const body of [{}, { email: 'not-an-email', password: 'x' }, { email: 'a@b.co', password: 'x', extra: true }]) {
      expect((await call('POST', '/auth/signin', { body })).status).toBe(400);
    }
    const res = await fetch(`${process.env.API_URL}/auth/signin`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":' });
    expect(res.status).toBe(400);
  });
});

describe('forgot / reset', () => {
  it('resets a password with the emailed code and gives unknown emails the same answer', async () => {
    const user = await createTestUser({ prefix: 'reset' });
    const known = await call('POST', '/auth/forgot', { body: { email: user.email } });
    const unknown = await call('POST', '/auth/forgot', { body: { email: email() } });
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(unknown.body).toEqual(known.body);

    const code = await codeFor(user.email);
    const wrong = await call('POST', '/auth/reset', { body: { email: user.email, code: wrongCode(code), password: PASSWORD } });
    expect(wrong.status).toBe(400);
    const weak = await call('POST', '/auth/reset', { body: { email: user.email, code, password: 'short' } });
    expect(weak.status).toBe(400);
    const reset = await call('POST', '/auth/reset', { body: { email: user.email, code, password: PASSWORD } });
    expect(reset.status).toBe(200);
    expect((await call('POST', '/auth/signin', { body: { email: user.email, password: user.password } })).status).toBe(401);
    expect((await call('POST', '/auth/signin', { body: { email: user.email, password: PASSWORD } })).status).toBe(200);
  });
});

describe('TOTP MFA (cognito-local)', () => {
  it('enrols, challenges at sign-in, accepts a real code, and disables', async () => {
    const user = await createTestUser({ prefix: 'mfa' });
    const start = await call<{ secretCode: string; otpauthUri: string }>('POST', '/me/mfa/totp', { token: user.accessToken });
    expect(start.status).toBe(200);
    expect(start.body.otpauthUri).toContain(`secret=${start.body.secretCode}`);

    const bad = await call('POST', '/me/mfa/totp/verify', { token: user.accessToken, body: { code: wrongCode(totp(start.body.secretCode)) } });
    expect(bad.status).toBe(400);
    const verified = await call('POST', '/me/mfa/totp/verify', { token: user.accessToken, body: { code: totp(start.body.secretCode), deviceName: 'phone' } });
    expect(verified.status).toBe(200);
    expect((await call('GET', '/me', { token: user.accessToken })).body).toMatchObject({ mfaEnabled: true });

    const challenged = await call<{ challenge: string; session: string }>('POST', '/auth/signin', { body: { email: user.email, password: user.password } });
    expect(challenged.status).toBe(200);
    expect(challenged.body).toEqual({ challenge: 'SOFTWARE_TOKEN_MFA', session: expect.any(String) });

    const wrong = await call('POST', '/auth/mfa', { body: { email: user.email, session: challenged.body.session, code: wrongCode(totp(start.body.secretCode)) } });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatchObject({ error: { code: 'CODE_MISMATCH' } });
    const tokens = await call<{ accessToken: string }>('POST', '/auth/mfa', { body: { email: user.email, session: challenged.body.session, code: totp(start.body.secretCode) } });
    expect(tokens.status).toBe(200);
    expect((await call('GET', '/me', { token: tokens.body.accessToken })).status).toBe(200);

    expect((await call('DELETE', '/me/mfa', { token: tokens.body.accessToken })).status).toBe(204);
    const plain = await call('POST', '/auth/signin', { body: { email: user.email, password: user.password } });
    expect(plain.body).toMatchObject({ accessToken: expect.any(String) });
  });
});

describe('RBAC', () => {
  it('GET /admin/users is 401 without a token, 403 for a user, 200 for the admin group', async () => {
    expect((await call('GET', '/admin/users')).status).toBe(401);
    const member = await createTestUser({ prefix: 'member' });
    const denied = await call('GET', '/admin/users', { token: member.accessToken });
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ error: { code: 'FORBIDDEN' } });

    const admin = await createTestUser({ prefix: 'admin' });
    await cognitoTestClient().send(new AdminAddUserToGroupCommand({ UserPoolId: process.env.USER_POOL_ID, Username: admin.email, GroupName: 'admin' }));
    // Groups are read from the token: sign in again to get them.
    const signIn = await call<{ accessToken: string }>('POST', '/auth/signin', { body: { email: admin.email, password: admin.password } });
    const list = await call<{ users: { email?: string }[] }>('GET', `/admin/users?email=${encodeURIComponent(member.email.slice(0, 20))}`, { token: signIn.body.accessToken });
    expect(list.status).toBe(200);
    expect(list.body.users.map((u) => u.email)).toContain(member.email);
    expect((await call('GET', '/me', { token: signIn.body.accessToken })).body).toMatchObject({ groups: ['admin'], roles: ['admin', 'support', 'user'] });
    expect((await call('GET', '/admin/users?limit=1000', { token: signIn.body.accessToken })).status).toBe(400);
  });

  it('rejects forged and malformed tokens with 401 on a protected route', async () => {
    const user = await createTestUser({ prefix: 'forge' });
    const [h, p] = user.accessToken.split('.');
    const payload = JSON.parse(Buffer.from(p ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    const elevated = Buffer.from(JSON.stringify({ ...payload, 'cognito:groups': ['admin'] })).toString('base64url');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', kid: 'CognitoLocal' })).toString('base64url')}.${p}.`;
    for (const token of [`${h}.${elevated}.${user.accessToken.split('.')[2]}`, none, 'abc', `${h}.${p}`]) {
      const res = await call('GET', '/admin/users', { token });
      expect(res.status).toBe(401);
    }
  });
});
