/**
 * The portal in a real browser against the full local stack: sign up → confirm → sign in → buy a
 * plan through the Stripe double → submit a generated sample video → watch progress → play and
 * download a clip → sign out; plus session expiry, CSRF refusal and admin-page refusal.
 * Screenshots of every main page land in artifacts/screenshots/.
 */
import { createServer, type Server } from 'node:http';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { AdminAddUserToGroupCommand, RevokeTokenCommand } from '@aws-sdk/client-cognito-identity-provider';
import { cognitoTestClient, createTestUser, testPassword } from '../../support/users.ts';
import { seal, unseal } from '../../../web/app/lib/session.server.ts';
import { makeSampleVideo } from '../../../scripts/make-sample-video.ts';
import { DOWNLOADS, confirmationCode, launchBrowser, screenshot, startPortal, trackConsole, type Portal } from './support.ts';

let browser: Browser;
let portal: Portal;
let context: BrowserContext;
let page: Page;
let consoleTracker: ReturnType<typeof trackConsole>;

beforeAll(async () => {
  browser = await launchBrowser();
  portal = await startPortal();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await portal?.stop();
});

async function newPage(): Promise<Page> {
  context = await browser.newContext({ viewport: { width: 1280, height: 860 }, acceptDownloads: true });
  consoleTracker = trackConsole(context);
  page = await context.newPage();
  page.setDefaultTimeout(30_000);
  return page;
}

afterEach(async () => {
  const errors = consoleTracker?.errors.splice(0) ?? [];
  await context?.close();
  expect(errors).toEqual([]);
});

const path = (p: Page) => new URL(p.url()).pathname;

async function signIn(p: Page, email: string, password: string, redirectTo = '/dashboard') {
  await p.goto(`${portal.url}/signin?redirectTo=${encodeURIComponent(redirectTo)}`);
  await p.getByLabel('Email').fill(email);
  await p.getByLabel('Password').fill(password);
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.waitForURL((u) => u.pathname === redirectTo);
}

describe('portal (browser, full local stack)', () => {
  test('sign up → confirm → sign in → buy a plan → submit a video → live progress → play + download a clip → sign out', async () => {
    const p = await newPage();
    const email = `e2e-${Date.now()}@example.test`;
    const password = testPassword();

    await p.goto(portal.url);
    expect(await p.title()).toContain('Clipforge');
    await screenshot(p, '01-landing');

    // Sign up with a weak password first: the form answers with the policy, not a 500.
    await p.getByRole('link', { name: 'Start free' }).first().click();
    await p.waitForURL('**/signup');
    await p.getByLabel('Name').fill('Ada Lovelace');
    await p.getByLabel('Email').fill(email);
    await p.getByLabel('Password').fill('short');
    await consoleTracker.allowDuring([/status of 400/], async () => {
      await p.getByRole('button', { name: 'Create account' }).click();
      await p.getByText(/Password must be/).first().waitFor();
    });
    await screenshot(p, '02-signup-validation');
    await p.getByLabel('Password').fill(password);
    await p.getByRole('button', { name: 'Create account' }).click();
    await p.waitForURL('**/confirm?**');
    await screenshot(p, '03-confirm');

    await p.getByLabel('Confirmation code').fill(await confirmationCode(email));
    await p.getByRole('button', { name: 'Confirm email' }).click();
    await p.waitForURL('**/signin?**');
    await p.getByText('Your email is confirmed').waitFor();
    await screenshot(p, '04-signin');

    await p.getByLabel('Password').fill(password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.waitForURL('**/dashboard');
    await p.getByRole('heading', { level: 1, name: /^Hi / }).waitFor();
    // A non-admin sees no admin link.
    expect(await p.getByRole('link', { name: 'Admin' }).count()).toBe(0);
    await screenshot(p, '05-dashboard');

    // Buy the Basic plan through the Stripe double's checkout page.
    await p.getByRole('link', { name: 'Plans & billing' }).click();
    await p.waitForURL('**/billing');
    await p.getByTestId('plan-basic').waitFor();
    await screenshot(p, '06-billing-free');
    // The Stripe double's own pages have no favicon (its 404 is not ours).
    await consoleTracker.allowDuring([/favicon\.ico/], async () => {
      await p.getByTestId('plan-basic').getByRole('button', { name: /Choose/ }).click();
      await p.waitForURL((u) => u.pathname.startsWith('/checkout/'));
      await p.locator('#pay').click();
      await p.waitForURL((u) => u.pathname === '/billing' && u.searchParams.get('checkout') === 'success');
    });
    await p.getByText('Payment received').waitFor();
    const deadline = Date.now() + 30_000;
    while ((await p.getByTestId('current-tier').innerText()).toLowerCase() !== 'basic') {
      if (Date.now() > deadline) throw new Error('The subscription did not become active after checkout');
      await p.waitForTimeout(1000);
      await p.reload();
    }
    const balance = Number(await p.getByTestId('credit-balance').first().innerText());
    expect(balance).toBeGreaterThan(0);
    await p.getByText('Credit history').scrollIntoViewIfNeeded();
    await screenshot(p, '07-billing-basic');

    // Proration preview of an upgrade (not confirmed).
    const upgrade = p.getByRole('link', { name: /Upgrade to Pro/ });
    if (await upgrade.count()) {
      await upgrade.click();
      await p.getByRole('heading', { name: /Upgrade to pro/i }).waitFor();
      await p.getByText(/Proration/).waitFor();
      await screenshot(p, '08-billing-upgrade-preview');
      await p.getByRole('link', { name: 'Keep my plan' }).click();
    }

    // Submit a generated sample video from the allow-listed local media server.
    const mediaDir = process.env.MEDIA_DIR;
    const mediaUrl = process.env.MEDIA_SERVER_URL;
    if (!mediaDir || !mediaUrl) throw new Error('MEDIA_DIR / MEDIA_SERVER_URL not set by the stack');
    mkdirSync(mediaDir, { recursive: true });
    await makeSampleVideo({ outPath: join(mediaDir, 'e2e-talk.mp4'), seconds: 45, width: 640, height: 360, preset: 'ultrafast' });
    await p.goto(`${portal.url}/jobs/new`);
    await p.getByLabel('Video URL').fill(`${mediaUrl}/e2e-talk.mp4`);
    await p.getByLabel('Clips').fill('2');
    await p.getByLabel('Min length (s)').fill('5');
    await p.getByLabel('Max length (s)').fill('20');
    await p.getByRole('button', { name: 'Get quote' }).click();
    await p.getByTestId('quote').waitFor({ timeout: 60_000 });
    expect(await p.getByTestId('quote').innerText()).toMatch(/1 credit/);
    await screenshot(p, '09-job-quote');
    await p.getByRole('button', { name: /Start job/ }).click();
    await p.waitForURL(/\/jobs\/[^/]+$/);
    await p.getByTestId('job-status').waitFor();
    await p.waitForTimeout(1500);
    await screenshot(p, '10-job-progress');

    // Live progress: the page follows the job to the end without reloads.
    await p.waitForFunction(() => document.querySelector('[data-testid="job-status"]')?.textContent === 'succeeded', undefined, { timeout: 240_000, polling: 500 });
    await p.getByTestId('clip').first().waitFor();
    const clips = await p.getByTestId('clip').count();
    expect(clips).toBeGreaterThanOrEqual(1);
    await screenshot(p, '11-job-done');

    // Play the first clip.
    const played = await p.locator('[data-testid="clip"] video').first().evaluate(async (v: HTMLVideoElement) => {
      v.muted = true;
      await v.play();
      const until = Date.now() + 10_000;
      while (v.currentTime < 0.3 && !v.error && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      return { time: v.currentTime, error: v.error?.code ?? null, width: v.videoWidth };
    });
    expect(played.error).toBeNull();
    expect(played.time).toBeGreaterThan(0.2);
    expect(played.width).toBeGreaterThan(0);

    // Download MP4 and VTT.
    mkdirSync(DOWNLOADS, { recursive: true });
    const [mp4] = await Promise.all([p.waitForEvent('download'), p.getByRole('link', { name: 'Download MP4' }).first().click()]);
    const mp4Path = join(DOWNLOADS, mp4.suggestedFilename());
    await mp4.saveAs(mp4Path);
    expect(mp4.suggestedFilename()).toMatch(/\.mp4$/);
    expect(statSync(mp4Path).size).toBeGreaterThan(1000);
    expect(readFileSync(mp4Path).subarray(4, 8).toString('latin1')).toBe('ftyp');
    const [vtt] = await Promise.all([p.waitForEvent('download'), p.getByRole('link', { name: 'VTT' }).first().click()]);
    const vttPath = join(DOWNLOADS, vtt.suggestedFilename());
    await vtt.saveAs(vttPath);
    expect(readFileSync(vttPath, 'utf8')).toMatch(/^WEBVTT/);

    await p.goto(`${portal.url}/jobs`);
    await screenshot(p, '12-jobs');
    await p.goto(`${portal.url}/profile`);
    await p.getByRole('heading', { name: 'Your account' }).waitFor();
    await screenshot(p, '13-profile');

    // Non-admin refused on the admin page.
    await consoleTracker.allowDuring([/status of 403/], async () => {
      const res = await p.goto(`${portal.url}/admin`);
      expect(res?.status()).toBe(403);
      await p.getByRole('heading', { name: 'Access denied' }).waitFor();
    });

    // Sign out: back to sign-in; protected pages redirect with a return path.
    await p.goto(`${portal.url}/dashboard`);
    // The session's access token, from the sealed cookie (this suite started the portal: known secret).
    if (!portal.secret) throw new Error('the sign-out check needs the portal started by this suite (known SESSION_SECRET)');
    const sealed = (await context.cookies(portal.url)).find((c) => c.name === 'cf_session')?.value ?? '';
    const accessToken = unseal(decodeURIComponent(sealed), portal.secret)?.tokens?.accessToken;
    expect(accessToken).toBeTruthy();
    const me = async () => (await fetch(`${process.env.API_URL}/me`, { headers: { authorization: `Bearer ${accessToken}` } })).status;
    expect(await me()).toBe(200);
    await p.getByRole('button', { name: 'Sign out' }).first().click();
    await p.waitForURL('**/signin');
    await p.getByText('You are signed out.').waitFor();
    // The portal signed out through the API: that access token is refused at once.
    expect(await me()).toBe(401);
    await p.goto(`${portal.url}/billing`);
    expect(path(p)).toBe('/signin');
    expect(new URL(p.url()).searchParams.get('redirectTo')).toBe('/billing');
  }, 600_000);

  test('an expired access token refreshes transparently; a revoked session redirects to sign-in with a return path', async () => {
    const p = await newPage();
    if (!portal.secret) throw new Error('session expiry test needs the portal started by this suite (known SESSION_SECRET)');
    const user = await createTestUser({ prefix: 'e2e-expiry' });
    const cookie = (tokens: { accessToken: string; idToken: string; refreshToken: string }) => ({
      name: 'cf_session',
      value: seal({ tokens: { ...tokens, expiresAt: Date.now() - 60_000 } }, portal.secret),
      url: portal.url,
      httpOnly: true,
      sameSite: 'Lax' as const,
    });
    // Access token "expired", refresh token good → the page loads and the cookie is renewed.
    await context.addCookies([cookie(user)]);
    await p.goto(`${portal.url}/jobs`);
    expect(path(p)).toBe('/jobs');
    // Refresh token revoked → the session is over: sign-in with the reason and the way back.
    await cognitoTestClient().send(new RevokeTokenCommand({ ClientId: process.env.USER_POOL_CLIENT_ID, Token: user.refreshToken }));
    await context.clearCookies();
    await context.addCookies([cookie(user)]);
    await p.goto(`${portal.url}/billing`);
    expect(path(p)).toBe('/signin');
    expect(new URL(p.url()).searchParams.get('redirectTo')).toBe('/billing');
    await p.getByText('Your session expired').waitFor();
    await screenshot(p, '14-session-expired');
  }, 600_000);

  test('cross-site form posts are refused (CSRF) and the session survives', async () => {
    const p = await newPage();
    const user = await createTestUser({ prefix: 'e2e-csrf' });
    await signIn(p, user.email, user.password);
    // A page on another origin auto-submits a sign-out form to the portal.
    const evil: Server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(`<!doctype html><title>evil</title><form id="f" method="post" action="${portal.url}/signout"></form><script>document.getElementById('f').submit()</script>`);
    });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (evil.address() as { port: number }).port;
      await consoleTracker.allowDuring([/status of 40[03]/], async () => {
        const refused = p.waitForResponse((r) => r.url().startsWith(`${portal.url}/signout`));
        await p.goto(`http://127.0.0.1:${port}/`);
        expect([400, 403]).toContain((await refused).status());
      });
    } finally {
      await new Promise((r) => evil.close(r));
    }
    // Still signed in.
    await p.goto(`${portal.url}/dashboard`);
    expect(path(p)).toBe('/dashboard');
    // A request with neither Origin nor Sec-Fetch-Site is refused too (403 from the portal).
    const cookies = await context.cookies(portal.url);
    const res = await fetch(`${portal.url}/signout`, { method: 'POST', headers: { Cookie: cookies.map((c) => `${c.name}=${c.value}`).join('; ') }, redirect: 'manual' });
    expect(res.status).toBe(403);
    await p.goto(`${portal.url}/dashboard`);
    expect(path(p)).toBe('/dashboard');
  }, 600_000);

  test('admin pages: visible to the admin group only', async () => {
    const p = await newPage();
    const admin = await createTestUser({ prefix: 'e2e-admin' });
    await cognitoTestClient().send(new AdminAddUserToGroupCommand({ UserPoolId: process.env.USER_POOL_ID, Username: admin.email, GroupName: 'admin' }));
    await signIn(p, admin.email, admin.password);
    await p.getByRole('link', { name: 'Admin' }).click();
    await p.waitForURL('**/admin');
    await p.getByRole('heading', { name: 'Users and usage' }).waitFor();
    await screenshot(p, '15-admin');
  }, 600_000);

  test('sign-in errors and the forgot/reset pages render without console errors', async () => {
    const p = await newPage();
    await consoleTracker.allowDuring([/status of 401/], async () => {
      await p.goto(`${portal.url}/signin`);
      await p.getByLabel('Email').fill(`nobody-${Date.now()}@example.test`);
      await p.getByLabel('Password').fill('Wrong-password-1!');
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.getByRole('alert').getByText('Incorrect email or password.').waitFor();
    });
    await p.getByRole('link', { name: 'Forgot your password?' }).click();
    await p.waitForURL('**/forgot');
    await screenshot(p, '16-forgot');
  }, 600_000);

  test('small screens: the landing and sign-in pages fit a phone', async () => {
    const p = await newPage();
    await p.setViewportSize({ width: 390, height: 844 });
    await p.goto(portal.url);
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(p, '17-landing-mobile');
  }, 600_000);
});
