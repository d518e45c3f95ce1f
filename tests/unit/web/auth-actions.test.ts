/**
 * The portal's auth actions and guards with a Cognito double behind fetch (no network, no browser):
 * sign-in (tokens or the TOTP challenge), MFA, sign-up errors, requireUser/requireRole redirects.
 */
import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { RouterContextProvider } from 'react-router';
import { sessionContext } from '../../../web/app/lib/context.ts';
import { SessionHandle } from '../../../web/app/lib/session.server.ts';
import { requireRole, requireUser, safeRedirectTo } from '../../../web/app/lib/auth.server.ts';
import { mfaAction, signInAction, signUpAction } from '../../../web/app/routes/auth.server.ts';
import { fakeJwt } from '../auth-client/helpers.ts';

const exp = () => Math.floor(Date.now() / 1000) + 3600;
const auth = (groups: string[] = []) => ({
  AccessToken: fakeJwt({ sub: 'u1', exp: exp(), 'cognito:groups': groups }),
  IdToken: fakeJwt({ sub: 'u1', email: 'ada@example.com', name: 'Ada', exp: exp(), 'cognito:groups': groups }),
  RefreshToken: 'refresh-1',
  ExpiresIn: 3600,
});

let cognito: Record<string, (body: Record<string, unknown>) => { status?: number; body: unknown }> = {};
const calls: string[] = [];

beforeEach(() => {
  calls.length = 0;
  jest.spyOn(globalThis, 'fetch').mockImplementation(async (_url, init) => {
    const target = String((init?.headers as Record<string, string>)['X-Amz-Target']).split('.')[1] ?? '';
    calls.push(target);
    const handler = cognito[target];
    const out = handler ? handler(JSON.parse(String(init?.body)) as Record<string, unknown>) : { status: 400, body: { __type: 'Unknown' } };
    return new Response(JSON.stringify(out.body), { status: out.status ?? 200 });
  });
});
afterEach(() => {
  jest.restoreAllMocks();
});

function setup(form: Record<string, string>, handle = SessionHandle.fromRequest(new Request('http://portal.test/'), { name: 'cf_session', secure: false, secret: 'x'.repeat(40) })) {
  const context = new RouterContextProvider();
  context.set(sessionContext, handle);
  const request = new Request('http://portal.test/signin', { method: 'POST', body: new URLSearchParams(form) });
  return { context, request, handle };
}

async function statusOf(p: Promise<unknown>): Promise<{ status: number; location?: string | null; body?: unknown }> {
  const r = await p.catch((e: unknown) => e);
  if (r instanceof Response) return { status: r.status, location: r.headers.get('Location') };
  const d = r as { init?: { status?: number }; data?: unknown };
  return { status: d.init?.status ?? 200, body: d.data };
}

describe('sign-in action', () => {
  test('good credentials: tokens in the session, redirect to the safe return path', async () => {
    cognito = { InitiateAuth: () => ({ body: { AuthenticationResult: auth() } }) };
    const { request, context, handle } = setup({ email: 'Ada@Example.com', password: 'pw', redirectTo: '/billing' });
    const res = await statusOf(signInAction({ request, context }));
    expect(res).toMatchObject({ status: 302, location: '/billing' });
    expect(handle.get('tokens')?.refreshToken).toBe('refresh-1');
  });

  test('an open redirect is replaced by the dashboard', async () => {
    cognito = { InitiateAuth: () => ({ body: { AuthenticationResult: auth() } }) };
    const { request, context } = setup({ email: 'a@b.co', password: 'pw', redirectTo: '//evil.test/x' });
    expect(await statusOf(signInAction({ request, context }))).toMatchObject({ location: '/dashboard' });
    expect(safeRedirectTo('https://evil.test')).toBe('/dashboard');
    expect(safeRedirectTo('/\\evil.test')).toBe('/dashboard');
    expect(safeRedirectTo('/jobs/1?x=2')).toBe('/jobs/1?x=2');
  });

  test.each([
    '//evil.com',
    '/\\evil.com',
    '\\\\evil.com',
    '/\t/evil.com',
    '/\n/evil.com',
    '/\r\n/evil.com',
    '/%09/evil.com',
    '/%0a/evil.com',
    '/%0D%0A/evil.com',
    '/%5Cevil.com',
    '/%5C%5Cevil.com',
    '/%2F%2Fevil.com',
    '/%2f/evil.com',
    '/\u0000/evil.com',
    'https://evil.com',
    'HTTPS://evil.com',
    'javascript:alert(1)',
    ' //evil.com',
    '\t//evil.com',
    'evil.com',
    '/%E0%A4%A',
    '',
  ])('safeRedirectTo refuses %j (a browser would leave the origin or the value is malformed)', (value) => {
    expect(safeRedirectTo(value)).toBe('/dashboard');
  });

  test.each([
    ['/jobs/1?x=2', '/jobs/1?x=2'],
    ['/billing#packs', '/billing#packs'],
    ['/jobs/new?url=https%3A%2F%2Fexample.com%2Fv.mp4', '/jobs/new?url=https%3A%2F%2Fexample.com%2Fv.mp4'],
    ['/a/../billing', '/billing'],
  ])('safeRedirectTo keeps the same-site path %j', (value, expected) => {
    expect(safeRedirectTo(value)).toBe(expected);
  });

  test('wrong password → 401 with a friendly message and no password echoed', async () => {
    cognito = { InitiateAuth: () => ({ status: 400, body: { __type: 'NotAuthorizedException', message: 'Incorrect username or password.' } }) };
    const { request, context, handle } = setup({ email: 'a@b.co', password: 'secret-pw' });
    const res = await statusOf(signInAction({ request, context }));
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ formError: 'Incorrect email or password.', values: { email: 'a@b.co' } });
    expect(handle.get('tokens')).toBeUndefined();
  });

  test('malformed email → 400 field error without calling Cognito', async () => {
    const { request, context } = setup({ email: 'not-an-email', password: 'pw' });
    const res = await statusOf(signInAction({ request, context }));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ fieldErrors: { email: ['Must be a valid email address'] } });
    expect(calls).toEqual([]);
  });

  test('TOTP on → MFA page; the code completes the sign-in; a wrong code is a field error', async () => {
    cognito = {
      InitiateAuth: () => ({ body: { ChallengeName: 'SOFTWARE_TOKEN_MFA', Session: 'sess' } }),
      RespondToAuthChallenge: (b) => ((b.ChallengeResponses as Record<string, string>).SOFTWARE_TOKEN_MFA_CODE === '123456' ? { body: { AuthenticationResult: auth() } } : { status: 400, body: { __type: 'CodeMismatchException', message: 'bad' } }),
    };
    const first = setup({ email: 'a@b.co', password: 'pw', redirectTo: '/jobs' });
    expect(await statusOf(signInAction(first))).toMatchObject({ status: 302, location: '/signin/mfa' });
    expect(first.handle.get('tokens')).toBeUndefined();
    const wrong = setup({ code: '000000' }, first.handle);
    const bad = await statusOf(mfaAction(wrong));
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ fieldErrors: { code: ['That code is not correct. Check it and try again.'] } });
    const right = setup({ code: '123456' }, first.handle);
    expect(await statusOf(mfaAction(right))).toMatchObject({ status: 302, location: '/jobs' });
    expect(first.handle.get('tokens')).toBeDefined();
    expect(first.handle.get('mfa')).toBeUndefined();
  });
});

describe('sign-up action', () => {
  test('weak password → 400 naming the policy; taken email → field error; success → confirm page', async () => {
    const weak = setup({ email: 'a@b.co', password: 'short', name: 'Ada' });
    const r1 = await statusOf(signUpAction(weak));
    expect(r1.status).toBe(400);
    expect(JSON.stringify(r1.body)).toMatch(/at least 12 characters/);

    cognito = { SignUp: () => ({ status: 400, body: { __type: 'UsernameExistsException', message: 'exists' } }) };
    const taken = setup({ email: 'a@b.co', password: 'Good-Password-123', name: 'Ada' });
    expect((await statusOf(signUpAction(taken))).body).toMatchObject({ fieldErrors: { email: ['An account with this email already exists.'] } });

    cognito = { SignUp: () => ({ body: { UserSub: 's', UserConfirmed: false } }) };
    const ok = setup({ email: 'a@b.co', password: 'Good-Password-123', name: 'Ada' });
    expect(await statusOf(signUpAction(ok))).toMatchObject({ status: 302, location: '/confirm?email=a%40b.co' });
    expect(ok.handle.get('pendingEmail')).toBe('a@b.co');
  });
});

describe('guards', () => {
  test('requireUser redirects with the return path; requireRole answers 403 to non-admins', async () => {
    const anon = setup({});
    const r = await statusOf(requireUser({ request: new Request('http://portal.test/billing?x=1'), context: anon.context }));
    expect(r).toMatchObject({ status: 302, location: '/signin?redirectTo=%2Fbilling%3Fx%3D1' });

    cognito = { InitiateAuth: () => ({ body: { AuthenticationResult: auth() } }) };
    const user = setup({ email: 'a@b.co', password: 'pw' });
    await signInAction(user);
    const denied = await statusOf(requireRole({ request: new Request('http://portal.test/admin'), context: user.context }, 'admin'));
    expect(denied.status).toBe(403);

    cognito = { InitiateAuth: () => ({ body: { AuthenticationResult: auth(['admin']) } }) };
    const admin = setup({ email: 'a@b.co', password: 'pw' });
    await signInAction(admin);
    const session = await requireRole({ request: new Request('http://portal.test/admin'), context: admin.context }, 'admin');
    expect(session.user.groups).toEqual(['admin']);
  });

  test('an expired session whose refresh token is revoked → sign-in with reason=expired, tokens dropped', async () => {
    cognito = { InitiateAuth: () => ({ status: 400, body: { __type: 'NotAuthorizedException', message: 'Refresh Token has been revoked' } }) };
    const s = setup({});
    s.handle.set('tokens', { accessToken: fakeJwt({ sub: 'u1', exp: 1 }), idToken: fakeJwt({ sub: 'u1', exp: 1 }), refreshToken: 'gone', expiresAt: 1000 });
    const r = await statusOf(requireUser({ request: new Request('http://portal.test/jobs'), context: s.context }));
    expect(r).toMatchObject({ status: 302, location: '/signin?redirectTo=%2Fjobs&reason=expired' });
    expect(s.handle.get('tokens')).toBeUndefined();
  });
});
