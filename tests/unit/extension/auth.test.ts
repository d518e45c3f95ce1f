import { describe, expect, it } from '@jest/globals';
import { ExtensionAuth, REFRESH_ALARM } from '../../../extension/utils/auth.ts';
import { parseExtensionConfig } from '../../../extension/utils/config.ts';
import { EXPIRED_KEY, TOKENS_KEY } from '../../../extension/utils/session-storage.ts';
import type { AuthState } from '../../../lib/contracts/extension-messages.ts';
import { allStrings, fakeBrowser, fakeCognito, type FakeBrowser } from './fake-browser.ts';

const EMAIL = 'ana@example.com';
const PASSWORD = 'correct horse battery';

const config = parseExtensionConfig({
  WXT_API_URL: 'https://api.dev.clipforge.example',
  WXT_COGNITO_ENDPOINT: 'https://cognito.test/',
  WXT_USER_POOL_ID: 'us-east-1_Test',
  WXT_USER_POOL_CLIENT_ID: 'client123',
  WXT_PORTAL_URL: 'https://dev.app.clipforge.example',
  WXT_AUTH_DOMAIN: 'clipforge-dev.auth.us-east-1.amazoncognito.com',
});

function setup(browser: FakeBrowser = fakeBrowser()) {
  let clock = Date.UTC(2026, 0, 1, 12, 0, 0);
  const now = () => clock;
  const cognito = fakeCognito(now);
  const changes: AuthState[] = [];
  const make = () => new ExtensionAuth({ browser, config, fetch: cognito.fetch, now, onChange: (s) => changes.push(s) });
  return {
    browser,
    cognito,
    changes,
    auth: make(),
    /** A new worker instance over the same browser state (the service worker was restarted). */
    restart: make,
    advance: (ms: number) => {
      clock += ms;
    },
    now,
  };
}

describe('extension auth: storage choice', () => {
  it('keeps every token in storage.session (trusted contexts only), never in storage.local', async () => {
    const t = setup();
    await t.auth.resume();
    expect(t.browser.storage.session.accessLevel).toBe('TRUSTED_CONTEXTS');
    const state = await t.auth.signIn(EMAIL, PASSWORD);
    expect(state).toMatchObject({ status: 'signedIn', user: { email: EMAIL }, expired: false, hostedUi: true });
    const stored = t.browser.storage.session.data.get(TOKENS_KEY) as { accessToken: string; refreshToken: string; idToken: string };
    expect(stored.refreshToken).toMatch(/^refresh-/);
    const localStrings = allStrings(t.browser.storage.local.data);
    for (const token of [stored.accessToken, stored.idToken, stored.refreshToken]) expect(localStrings).not.toContain(token);
    expect(allStrings(t.browser.storage.local.data).join(' ')).not.toMatch(/refresh-|eyJ/);
    // The popup only ever learns the state, not a token.
    expect(JSON.stringify(state)).not.toContain(stored.accessToken);
    expect(JSON.stringify(t.changes)).not.toContain(stored.refreshToken);
  });

  it('works where storage.session has no setAccessLevel (Firefox keeps it extension-only anyway)', async () => {
    const t = setup(fakeBrowser({ chrome: false }));
    await expect(t.auth.resume()).resolves.toBeUndefined();
    await t.auth.signIn(EMAIL, PASSWORD);
    expect(t.browser.storage.session.data.has(TOKENS_KEY)).toBe(true);
    expect(t.browser.storage.local.data.size).toBe(0);
  });

  it('refuses a wrong password with a friendly message and stores nothing', async () => {
    const t = setup();
    await expect(t.auth.signIn(EMAIL, 'wrong')).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: 'Incorrect email or password.' });
    expect(t.browser.storage.session.data.size).toBe(0);
  });
});

describe('extension auth: refresh before expiry, across service-worker restarts', () => {
  it('arms an alarm the margin before expiry and refreshes when it fires', async () => {
    const t = setup();
    await t.auth.signIn(EMAIL, PASSWORD);
    const first = t.browser.storage.session.data.get(TOKENS_KEY) as { accessToken: string; expiresAt: number };
    const alarm = t.browser.alarmsSet.get(REFRESH_ALARM);
    expect(alarm?.when).toBe(first.expiresAt - config.auth.refreshMarginSeconds * 1000);

    t.advance(3600_000 - 200_000); // inside the 300 s margin
    await t.auth.onAlarm();
    const second = t.browser.storage.session.data.get(TOKENS_KEY) as { accessToken: string; refreshToken: string; expiresAt: number };
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(second.refreshToken).toMatch(/^refresh-/); // Cognito does not rotate it: kept
    expect(t.browser.alarmsSet.get(REFRESH_ALARM)?.when).toBe(second.expiresAt - 300_000);
    expect(t.cognito.calls.filter((c) => c.body.AuthFlow === 'REFRESH_TOKEN_AUTH')).toHaveLength(1);
  });

  it('a restarted worker finds the session in storage.session and refreshes an expired access token at once', async () => {
    const t = setup();
    await t.auth.signIn(EMAIL, PASSWORD);
    const before = t.browser.storage.session.data.get(TOKENS_KEY) as { accessToken: string };
    t.browser.alarmsSet.clear(); // say the alarm was missed while the browser slept
    t.advance(2 * 3600_000);

    const restarted = t.restart();
    await restarted.resume();
    const after = t.browser.storage.session.data.get(TOKENS_KEY) as { accessToken: string; expiresAt: number };
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.expiresAt).toBeGreaterThan(t.now());
    expect(t.browser.alarmsSet.has(REFRESH_ALARM)).toBe(true);
    expect(await restarted.accessToken()).toBe(after.accessToken);
  });

  it('a fresh token is not refreshed on restart; the alarm is re-armed', async () => {
    const t = setup();
    await t.auth.signIn(EMAIL, PASSWORD);
    t.browser.alarmsSet.clear();
    t.advance(60_000);
    await t.restart().resume();
    expect(t.cognito.calls.filter((c) => c.body.AuthFlow === 'REFRESH_TOKEN_AUTH')).toHaveLength(0);
    expect(t.browser.alarmsSet.has(REFRESH_ALARM)).toBe(true);
  });

  it('concurrent API calls near expiry share one refresh', async () => {
    const t = setup();
    await t.auth.signIn(EMAIL, PASSWORD);
    t.advance(3590_000);
    t.cognito.refreshDelayMs = 20;
    const tokens = await Promise.all(Array.from({ length: 10 }, () => t.auth.accessToken()));
    expect(new Set(tokens).size).toBe(1);
    expect(t.cognito.calls.filter((c) => c.body.AuthFlow === 'REFRESH_TOKEN_AUTH')).toHaveLength(1);
  });

  it('a rejected refresh token ends the session: tokens removed, alarm cleared, popup told it expired', async () => {
    const t = setup();
    await t.auth.signIn(EMAIL, PASSWORD);
    t.advance(3600_000);
    t.cognito.refreshError = 'NotAuthorizedException';
    await t.auth.onAlarm();
    expect(t.browser.storage.session.data.has(TOKENS_KEY)).toBe(false);
    expect(t.browser.storage.session.data.get(EXPIRED_KEY)).toBe(true);
    expect(t.browser.alarmsSet.has(REFRESH_ALARM)).toBe(false);
    expect(await t.auth.state()).toMatchObject({ status: 'signedOut', expired: true });
    expect(t.changes.at(-1)).toMatchObject({ status: 'signedOut', expired: true });
    await expect(t.auth.accessToken()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('a network failure during refresh keeps the session and retries in a minute', async () => {
    const t = setup();
    await t.auth.signIn(EMAIL, PASSWORD);
    t.advance(3500_000);
    const failing = new ExtensionAuth({
      browser: t.browser,
      config,
      fetch: async () => {
        throw new TypeError('Failed to fetch');
      },
      now: t.now,
    });
    await failing.onAlarm();
    expect(t.browser.storage.session.data.has(TOKENS_KEY)).toBe(true);
    expect(t.browser.alarmsSet.get(REFRESH_ALARM)?.when).toBe(t.now() + 60_000);
  });
});

describe('extension auth: MFA, sign-out, hosted UI', () => {
  it('asks for the TOTP code, keeps the challenge in the background, then signs in', async () => {
    const t = setup();
    t.cognito.mfaFor.add(EMAIL);
    expect(await t.auth.signIn(EMAIL, PASSWORD)).toMatchObject({ status: 'mfaRequired', user: null });
    expect(t.browser.storage.session.data.has(TOKENS_KEY)).toBe(false);
    await expect(t.auth.mfa('000000')).rejects.toMatchObject({ code: 'CodeMismatchException' });
    // A worker restart between the two steps does not lose the challenge.
    const state = await t.restart().mfa('123456');
    expect(state).toMatchObject({ status: 'signedIn', user: { email: EMAIL } });
    const respond = t.cognito.calls.find((c) => c.target === 'RespondToAuthChallenge');
    expect(respond?.body).toMatchObject({ Session: `mfa-session-${EMAIL}`, ChallengeName: 'SOFTWARE_TOKEN_MFA' });
  });

  it('an MFA code after the challenge expired asks to start over', async () => {
    const t = setup();
    t.cognito.mfaFor.add(EMAIL);
    await t.auth.signIn(EMAIL, PASSWORD);
    t.advance(4 * 60_000);
    await expect(t.auth.mfa('123456')).rejects.toMatchObject({ code: 'MFA_EXPIRED' });
  });

  it('sign-out revokes the refresh token and clears the session', async () => {
    const t = setup();
    await t.auth.signIn(EMAIL, PASSWORD);
    const { refreshToken } = t.browser.storage.session.data.get(TOKENS_KEY) as { refreshToken: string };
    const state = await t.auth.signOut();
    expect(state).toMatchObject({ status: 'signedOut', expired: false });
    expect(t.cognito.calls.find((c) => c.target === 'RevokeToken')?.body).toEqual({ ClientId: 'client123', Token: refreshToken });
    expect(t.browser.storage.session.data.has(TOKENS_KEY)).toBe(false);
    expect(t.browser.alarmsSet.has(REFRESH_ALARM)).toBe(false);
  });

  it('hosted UI: authorization code + PKCE (S256) through launchWebAuthFlow, state checked', async () => {
    const t = setup();
    const tokenRequests: URLSearchParams[] = [];
    let authorize: URL | null = null;
    t.browser.authFlow = async (url) => {
      authorize = new URL(url);
      return `https://abcdefghijklmnopabcdefghijklmnop.chromiumapp.org/?code=the-code&state=${authorize.searchParams.get('state')}`;
    };
    const fetchWithTokenEndpoint = async (input: string, init?: RequestInit) => {
      if (input.endsWith('/oauth2/token')) {
        const body = new URLSearchParams(String(init?.body));
        tokenRequests.push(body);
        const { createHash } = await import('node:crypto');
        const challenge = createHash('sha256').update(body.get('code_verifier') ?? '').digest('base64url');
        if (challenge !== authorize?.searchParams.get('code_challenge')) return new Response(JSON.stringify({ error: 'invalid_grant' }), { status: 400 });
        const exp = Math.floor(t.now() / 1000) + 3600;
        const jwt = (claims: object) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;
        return new Response(
          JSON.stringify({ access_token: jwt({ sub: 's1', exp }), id_token: jwt({ sub: 's1', email: 'g@example.com', exp }), refresh_token: 'r-hosted', expires_in: 3600 }),
          { status: 200 },
        );
      }
      return t.cognito.fetch(input, init);
    };
    const auth = new ExtensionAuth({ browser: t.browser, config, fetch: fetchWithTokenEndpoint, now: t.now });
    const state = await auth.hostedUi('Google');
    expect(state).toMatchObject({ status: 'signedIn', user: { email: 'g@example.com' } });
    const a = authorize as URL | null;
    expect(a?.origin).toBe('https://clipforge-dev.auth.us-east-1.amazoncognito.com');
    expect(a?.searchParams.get('code_challenge_method')).toBe('S256');
    expect(a?.searchParams.get('identity_provider')).toBe('Google');
    expect(a?.searchParams.get('redirect_uri')).toBe('https://abcdefghijklmnopabcdefghijklmnop.chromiumapp.org/');
    expect(tokenRequests[0]?.get('grant_type')).toBe('authorization_code');
    expect((t.browser.storage.session.data.get(TOKENS_KEY) as { refreshToken: string }).refreshToken).toBe('r-hosted');
  });

  it('hosted UI: a redirect with a different state is refused', async () => {
    const t = setup();
    t.browser.authFlow = async () => 'https://abcdefghijklmnopabcdefghijklmnop.chromiumapp.org/?code=x&state=forged';
    await expect(t.auth.hostedUi()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect(t.browser.storage.session.data.has(TOKENS_KEY)).toBe(false);
  });
});
