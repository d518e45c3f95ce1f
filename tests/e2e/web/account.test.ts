/**
 * Portal features that were only unit-tested, now in a real browser against the full local stack:
 * file upload with progress on the job form (→ quote → job), TOTP enrolment from the QR code /
 * secret on the profile page (→ MFA step at sign-in → disable), and the hosted-UI social sign-in
 * buttons (authorization code + PKCE S256) against a fake hosted UI started here, on a second
 * portal configured with COGNITO_DOMAIN + SOCIAL_PROVIDERS. Screenshots 18–25 in artifacts/screenshots/.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { generateSync } from 'otplib';
import QRCode from 'qrcode';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createTestUser, type TestUser } from '../../support/users.ts';
import { sampleVideo } from '../../integration/media/media-fixtures.ts';
import { launchBrowser, screenshot, signInThroughPortal, startPortal, trackConsole, type Portal } from './support.ts';

let browser: Browser;
let portal: Portal;
const contexts: { context: BrowserContext; tracker: ReturnType<typeof trackConsole> }[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
  portal = await startPortal();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await portal?.stop();
});

async function newPage(): Promise<{ page: Page; context: BrowserContext; tracker: ReturnType<typeof trackConsole> }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const tracker = trackConsole(context);
  contexts.push({ context, tracker });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  return { page, context, tracker };
}

afterEach(async () => {
  const errors: string[] = [];
  for (const { context, tracker } of contexts.splice(0)) {
    errors.push(...tracker.errors.splice(0));
    await context.close();
  }
  expect(errors).toEqual([]);
});

/** Chooses "Upload a file" until the file input shows (the choice is client state: retried until hydrated). */
async function showFileInput(p: Page): Promise<void> {
  const input = p.locator('input[type="file"]#file');
  for (let i = 0; !(await input.isVisible()); i++) {
    if (i > 50) throw new Error('The file input never appeared');
    await p.getByLabel('Upload a file').check();
    await p.waitForTimeout(200);
  }
}

const path = (p: Page) => new URL(p.url()).pathname;
const totp = (secret: string) => generateSync({ secret, algorithm: 'sha1', digits: 6, period: 30 });
/** A 6-digit code that is not `code`. */
const wrongCode = (code: string) => String((Number(code) + 500_001) % 1_000_000).padStart(6, '0');

/** A code not used before (a real authenticator never repeats one within its window). */
async function freshCode(secret: string, used: Set<string>): Promise<string> {
  for (;;) {
    const code = totp(secret);
    if (!used.has(code)) {
      used.add(code);
      return code;
    }
    await sleep(1000);
  }
}

/** The dark modules of a QR code rendered by `qrcode` as SVG (`M x y.5 h n m dx dy …` paths). */
function qrModulesOfSvg(svg: string): string[] {
  const size = Number(/viewBox="0 0 (\d+) \d+"/.exec(svg)?.[1]);
  const d = /<path stroke="[^"]*" d="([^"]+)"/.exec(svg)?.[1];
  if (!size || !d) throw new Error(`Not a qrcode SVG: ${svg.slice(0, 200)}`);
  const rows = Array.from({ length: size }, () => Array<string>(size).fill('.'));
  let x = 0;
  let y = 0;
  for (const [, cmd, a, b] of d.matchAll(/([MmHh])(-?[\d.]+)(?:\s(-?[\d.]+))?/g)) {
    const n = Number(a);
    if (cmd === 'M') [x, y] = [n, Number(b)];
    else if (cmd === 'm') [x, y] = [x + n, y + Number(b)];
    else if (cmd === 'h') {
      for (let i = 0; i < n; i++) rows[Math.floor(y)]![x + i] = '#';
      x += n;
    } else throw new Error(`Unexpected path command ${cmd}`);
  }
  return trimQuiet(rows.map((r) => r.join('')));
}

/** The dark modules of `text` encoded as a QR code (error correction level M). */
function qrModulesOf(text: string): string[] {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  return Array.from({ length: modules.size }, (_, r) => Array.from({ length: modules.size }, (_, c) => (modules.get(r, c) ? '#' : '.')).join(''));
}

/** Drops the quiet zone (blank rows and columns around the symbol). */
function trimQuiet(rows: string[]): string[] {
  const used = rows.map((r, i) => (r.includes('#') ? i : -1)).filter((i) => i >= 0);
  const cols = rows.flatMap((r) => [...r].map((c, i) => (c === '#' ? i : -1)).filter((i) => i >= 0));
  const [top, bottom, left, right] = [Math.min(...used), Math.max(...used), Math.min(...cols), Math.max(...cols)];
  return rows.slice(top, bottom + 1).map((r) => r.slice(left, right + 1));
}

describe('portal account features (browser, full local stack)', () => {
  test('job from an uploaded file: upload progress → credit quote → start → the job runs to the end', async () => {
    const { page: p, context } = await newPage();
    const user = await createTestUser({ prefix: 'e2e-upload' });
    const video = await sampleVideo({ seconds: 24, width: 320, height: 180, preset: 'ultrafast' });
    const dir = mkdtempSync(join(tmpdir(), 'clipforge-e2e-upload-'));
    const file = join(dir, 'team-talk.mp4');
    copyFileSync(video.outPath, file);
    const size = statSync(file).size;
    try {
      await signInThroughPortal(p, portal.url, user.email, user.password, '/jobs/new');
      await p.getByRole('heading', { name: 'Turn a video into clips' }).waitFor();
      await p.waitForLoadState('networkidle');
      await showFileInput(p);
      // "Get quote" waits for the upload.
      expect(await p.getByRole('button', { name: 'Get quote' }).isDisabled()).toBe(true);

      // Every value the progress bar shows, recorded in the page.
      await p.evaluate(() => {
        const seen: number[] = [];
        (window as unknown as { __progress: number[] }).__progress = seen;
        const record = () => {
          const bar = document.querySelector('[role="progressbar"][aria-label="Upload progress"]');
          if (!bar) return;
          const v = Number(bar.getAttribute('aria-valuenow'));
          if (seen[seen.length - 1] !== v) seen.push(v);
        };
        new MutationObserver(record).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow'] });
      });
      // Slow the upload down (about 8 s) so the progress can be seen.
      const cdp = await context.newCDPSession(p);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: Math.ceil(size / 8) });

      await p.locator('input[type="file"]#file').setInputFiles(file);
      const bar = p.getByRole('progressbar', { name: 'Upload progress' });
      await bar.waitFor();
      await p.waitForFunction(() => {
        const v = Number(document.querySelector('[role="progressbar"]')?.getAttribute('aria-valuenow'));
        return v >= 15 && v <= 85;
      }, undefined, { polling: 50, timeout: 20_000 });
      await p.getByText(/Uploading team-talk\.mp4… \d+%/).waitFor();
      await screenshot(p, '18-upload-progress', { settle: false });
      await p.getByText('✓ team-talk.mp4 uploaded').waitFor({ timeout: 60_000 });
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      await cdp.detach();
      const seen = await p.evaluate(() => (window as unknown as { __progress: number[] }).__progress);
      // Several steps between 0 and 100, never going back.
      expect(seen.filter((v) => v > 0 && v < 100).length).toBeGreaterThanOrEqual(3);
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
      expect(await bar.count()).toBe(0);

      // Options, then the quote: nothing is charged yet.
      await p.getByLabel('Clips').fill('1');
      await p.getByLabel('Min length (s)').fill('5');
      await p.getByLabel('Max length (s)').fill('15');
      await p.getByRole('button', { name: 'Get quote' }).click();
      const quote = p.getByTestId('quote');
      await quote.waitFor({ timeout: 60_000 });
      const quoteText = (await quote.innerText()).replace(/\s+/g, ' ');
      const [, mm, ss] = /Video length (\d+):(\d\d)/.exec(quoteText) ?? [];
      expect(Math.abs(Number(mm) * 60 + Number(ss) - video.durationSeconds)).toBeLessThanOrEqual(1);
      expect(quoteText).toMatch(/Cost 1 credit /);
      const balance = Number(/Your balance (\d+) credits?/.exec(quoteText)?.[1]);
      expect(balance).toBeGreaterThanOrEqual(1);
      // The file is still the chosen source after the round trip.
      await p.getByText('✓ team-talk.mp4 uploaded').waitFor();
      await screenshot(p, '22-upload-quote');

      await p.getByRole('button', { name: 'Start job · 1 credit' }).click();
      await p.waitForURL(/\/jobs\/[^/]+$/);
      await p.getByRole('heading', { level: 1, name: 'team-talk.mp4' }).waitFor();
      const status = p.getByTestId('job-status');
      await status.waitFor();
      expect(['queued', 'running', 'succeeded']).toContain(await status.textContent());
      await p.waitForFunction(() => document.querySelector('[data-testid="job-status"]')?.textContent === 'succeeded', undefined, { timeout: 240_000, polling: 500 });
      await p.getByTestId('clip').first().waitFor();
      expect(await p.getByTestId('clip').count()).toBe(1);
      await screenshot(p, '23-upload-job-done');

      // One credit was spent.
      await p.goto(`${portal.url}/jobs/new`);
      await p.getByText(`You have ${balance - 1} credit`).waitFor();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);

  test('TOTP: enrol from the QR code / secret → MFA code at sign-in → turn off', async () => {
    const { page: p, tracker } = await newPage();
    const user = await createTestUser({ prefix: 'e2e-totp' });
    const used = new Set<string>();
    await signInThroughPortal(p, portal.url, user.email, user.password, '/profile');
    await p.getByRole('heading', { name: 'Your account' }).waitFor();
    await p.getByRole('button', { name: 'Set up two-factor' }).click();

    const qr = p.getByRole('img', { name: 'QR code for your authenticator app' });
    await qr.waitFor();
    const secret = (await p.getByTestId('totp-secret').innerText()).trim();
    expect(secret).toMatch(/^[A-Z2-7]{16,}=*$/);
    // The QR image renders, and encodes the otpauth:// URI of this account and secret.
    const img = await qr.evaluate(async (el: HTMLImageElement) => {
      await el.decode().catch(() => undefined);
      return { src: el.src, naturalWidth: el.naturalWidth, width: el.getBoundingClientRect().width };
    });
    expect(img.naturalWidth).toBeGreaterThan(0);
    expect(img.width).toBeGreaterThan(100);
    expect(img.src).toMatch(/^data:image\/svg\+xml;base64,/);
    const svg = Buffer.from(img.src.slice(img.src.indexOf(',') + 1), 'base64').toString('utf8');
    const uri = `otpauth://totp/Clipforge:${encodeURIComponent(user.email)}?${new URLSearchParams({ secret, issuer: 'Clipforge', algorithm: 'SHA1', digits: '6', period: '30' }).toString()}`;
    expect(qrModulesOfSvg(svg)).toEqual(qrModulesOf(uri));
    await screenshot(p, '19-totp-qr');

    // A wrong code is refused next to the field; the enrolment stays open.
    const codeField = p.getByLabel('Code from the app');
    await tracker.allowDuring([/status of 400/], async () => {
      await codeField.fill(wrongCode(totp(secret)));
      await p.getByRole('button', { name: 'Turn on' }).click();
      await p.locator('.field .error').waitFor();
    });
    expect(await codeField.getAttribute('aria-invalid')).toBe('true');
    await qr.waitFor();

    await codeField.fill(await freshCode(secret, used));
    await p.getByRole('button', { name: 'Turn on' }).click();
    await p.getByText('Two-factor authentication is on.').waitFor();
    await p.locator('#security').getByText('On', { exact: true }).waitFor();
    await p.getByRole('button', { name: 'Turn off two-factor' }).waitFor();
    expect(await qr.count()).toBe(0);
    await screenshot(p, '25-totp-enabled');

    // Sign out; signing in again asks for a code.
    await p.getByRole('button', { name: 'Sign out' }).first().click();
    await p.waitForURL('**/signin');
    await p.goto(`${portal.url}/signin?redirectTo=${encodeURIComponent('/profile')}`);
    await p.getByLabel('Email').fill(user.email);
    await p.getByLabel('Password').fill(user.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.waitForURL('**/signin/mfa');
    await p.getByRole('heading', { name: 'Two-factor authentication' }).waitFor();
    await p.getByText(user.email).waitFor();
    await screenshot(p, '20-mfa-challenge');
    // Not signed in yet.
    const blocked = await p.context().newPage();
    await blocked.goto(`${portal.url}/dashboard`);
    expect(path(blocked)).toBe('/signin');
    await blocked.close();

    await tracker.allowDuring([/status of 4\d\d/], async () => {
      await p.getByLabel('Authentication code').fill(wrongCode(totp(secret)));
      await p.getByRole('button', { name: 'Verify and sign in' }).click();
      await p.locator('.field .error, [role="alert"]').first().waitFor();
    });
    expect(path(p)).toBe('/signin/mfa');
    await p.getByLabel('Authentication code').fill(await freshCode(secret, used));
    await p.getByRole('button', { name: 'Verify and sign in' }).click();
    await p.waitForURL((u) => u.pathname === '/profile');
    await p.getByRole('button', { name: 'Turn off two-factor' }).waitFor();

    // Turn it off: the next sign-in needs only the password.
    await p.getByRole('button', { name: 'Turn off two-factor' }).click();
    await p.getByText('Two-factor authentication is off.').waitFor();
    await p.getByRole('button', { name: 'Set up two-factor' }).waitFor();
    await p.getByRole('button', { name: 'Sign out' }).first().click();
    await p.waitForURL('**/signin');
    await signInThroughPortal(p, portal.url, user.email, user.password, '/profile');
    await p.getByRole('button', { name: 'Set up two-factor' }).waitFor();
  }, 600_000);

  test('only part of a long video: the range is quoted on its own minutes, refused outside the video, and shown on the job', async () => {
    const { page: p, tracker } = await newPage();
    const user = await createTestUser({ prefix: 'e2e-range' });
    const mediaDir = process.env.MEDIA_DIR;
    const mediaUrl = process.env.MEDIA_SERVER_URL;
    if (!mediaDir || !mediaUrl) throw new Error('MEDIA_DIR / MEDIA_SERVER_URL not set by the stack');
    const video = await sampleVideo({ seconds: 150, width: 320, height: 180, preset: 'ultrafast' });
    copyFileSync(video.outPath, join(mediaDir, 'e2e-range.mp4'));
    await signInThroughPortal(p, portal.url, user.email, user.password, '/jobs/new');
    await p.getByRole('heading', { name: 'Turn a video into clips' }).waitFor();
    await p.getByLabel('Video URL').fill(`${mediaUrl}/e2e-range.mp4`);
    // Outside the video: a clear message under the range (the action answers 400), nothing charged.
    await tracker.allowDuring([/status of 400/], async () => {
      await p.locator('#rangeFrom').fill('10:00');
      await p.locator('#rangeTo').fill('12:00');
      await p.getByRole('button', { name: 'Get quote' }).click();
      await p.locator('#rangeFrom-error').filter({ hasText: 'choose a range inside the video' }).waitFor();
    });
    // 0:30–1:30 of a 2:30 video: one minute, one credit.
    await p.locator('#rangeFrom').fill('0:30');
    await p.locator('#rangeTo').fill('1:30');
    await p.getByRole('button', { name: 'Get quote' }).click();
    const quote = p.getByTestId('quote');
    await quote.waitFor();
    expect(await quote.textContent()).toContain('0:30 – 1:30 (1:00 of 2:30)');
    expect(await quote.textContent()).toContain('1 credit');
    await screenshot(p, '27-range-quote');
    await p.getByRole('button', { name: /Start job/ }).click();
    await p.waitForURL(/\/jobs\/j[0-9a-z]+$/);
    await p.getByText('(0:30 – 1:30)').waitFor();
  }, 240_000);

  test('sign out everywhere: this browser and another device are signed out at once', async () => {
    const { page: p } = await newPage();
    const user = await createTestUser({ prefix: 'e2e-everywhere' });
    const otherDevice = user.accessToken; // the session createTestUser signed in, e.g. a phone
    const me = async () => (await fetch(`${process.env.API_URL}/me`, { headers: { authorization: `Bearer ${otherDevice}` } })).status;
    expect(await me()).toBe(200);
    // Sign-in times have one-second resolution: keep the browser's sign-in apart from the other's.
    await new Promise((r) => setTimeout(r, 1100));
    await signInThroughPortal(p, portal.url, user.email, user.password, '/profile');
    await p.getByRole('button', { name: 'Sign out everywhere' }).click();
    await p.waitForURL('**/signin');
    await p.getByText('You are signed out on every device.').waitFor();
    await screenshot(p, '28-signed-out-everywhere');
    expect(await me()).toBe(401);
    await p.goto(`${portal.url}/profile`);
    expect(new URL(p.url()).pathname).toBe('/signin');
  }, 120_000);

  test('small screens: the job form (file upload) and the profile fit a phone', async () => {
    const { page: p } = await newPage();
    await p.setViewportSize({ width: 390, height: 844 });
    const user = await createTestUser({ prefix: 'e2e-mobile' });
    await signInThroughPortal(p, portal.url, user.email, user.password, '/jobs/new');
    await p.waitForLoadState('networkidle');
    await showFileInput(p);
    const overflow = () => p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(await overflow()).toBeLessThanOrEqual(0);
    // The header keeps the page's side margin.
    expect((await p.getByRole('link', { name: 'Clipforge home' }).boundingBox())?.x).toBeGreaterThanOrEqual(16);
    await screenshot(p, '26-job-form-mobile');
    await p.goto(`${portal.url}/profile`);
    await p.getByRole('button', { name: 'Set up two-factor' }).click();
    await p.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
    expect(await overflow()).toBeLessThanOrEqual(0);
    // The anchor (/profile#security) lands below the sticky header, not under it.
    const covered = await p.evaluate(() => {
      const heading = document.getElementById('security-title')!.getBoundingClientRect();
      return heading.top < document.querySelector('.site-header')!.getBoundingClientRect().bottom;
    });
    expect(covered).toBe(false);
    await p.getByRole('button', { name: 'Cancel' }).click();
    await p.getByRole('button', { name: 'Set up two-factor' }).waitFor();
  }, 300_000);

  test('social sign-in: no buttons without a hosted UI domain (the default stack)', async () => {
    const { page: p, tracker } = await newPage();
    await p.goto(`${portal.url}/signin`);
    await p.getByRole('heading', { name: 'Welcome back' }).waitFor();
    expect(await p.getByRole('link', { name: /Continue with/ }).count()).toBe(0);
    expect(await p.getByText('or', { exact: true }).count()).toBe(0);
    await p.goto(`${portal.url}/signup`);
    await p.getByRole('button', { name: 'Create account' }).waitFor();
    expect(await p.getByRole('link', { name: /Continue with/ }).count()).toBe(0);
    await tracker.allowDuring([/status of 404/], async () => {
      const res = await p.goto(`${portal.url}/auth/social/Google`);
      expect(res?.status()).toBe(404);
      await p.getByText('That sign-in provider is not available.').waitFor();
    });
  }, 120_000);
});

/** A stand-in for the Cognito hosted UI: /oauth2/authorize (a consent page) and /oauth2/token. */
interface FakeHostedUi {
  url: string;
  authorizeRequests: URLSearchParams[];
  tokenRequests: URLSearchParams[];
  /** The tokens /oauth2/token hands out for a good code + verifier. */
  tokensFor: TestUser | undefined;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function startFakeHostedUi(): Promise<FakeHostedUi> {
  const codes = new Map<string, URLSearchParams>();
  const fake: Omit<FakeHostedUi, 'url' | 'close'> = { authorizeRequests: [], tokenRequests: [], tokensFor: undefined };
  const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      if (req.method === 'GET' && url.pathname === '/oauth2/authorize') {
        const q = url.searchParams;
        fake.authorizeRequests.push(q);
        const code = `code-${codes.size + 1}`;
        codes.set(code, q);
        const back = new URL(q.get('redirect_uri') ?? 'http://invalid/');
        back.searchParams.set('code', code);
        back.searchParams.set('state', q.get('state') ?? '');
        const deny = new URL(q.get('redirect_uri') ?? 'http://invalid/');
        deny.searchParams.set('error', 'access_denied');
        deny.searchParams.set('state', q.get('state') ?? '');
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        res.end(`<!doctype html><html lang="en"><title>Fake hosted UI</title><body style="font-family:sans-serif;padding:40px">
<h1>Sign in with ${escape(q.get('identity_provider') ?? '?')}</h1>
<p><a id="allow" href="${escape(back.toString())}">Allow</a> · <a id="deny" href="${escape(deny.toString())}">Cancel</a></p></body></html>`);
        return;
      }
      if (req.method === 'POST' && url.pathname === '/oauth2/token') {
        const body = new URLSearchParams(await readBody(req));
        fake.tokenRequests.push(body);
        const authorized = codes.get(body.get('code') ?? '');
        codes.delete(body.get('code') ?? '');
        const verifier = body.get('code_verifier') ?? '';
        const challenge = createHash('sha256').update(verifier).digest('base64url');
        const ok =
          authorized &&
          fake.tokensFor &&
          body.get('grant_type') === 'authorization_code' &&
          body.get('client_id') === authorized.get('client_id') &&
          body.get('redirect_uri') === authorized.get('redirect_uri') &&
          challenge === authorized.get('code_challenge');
        res.writeHead(ok ? 200 : 400, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(ok && fake.tokensFor
          ? { access_token: fake.tokensFor.accessToken, id_token: fake.tokensFor.idToken, refresh_token: fake.tokensFor.refreshToken, expires_in: 3600, token_type: 'Bearer' }
          : { error: 'invalid_grant' }));
        return;
      }
      res.writeHead(url.pathname === '/favicon.ico' ? 204 : 404);
      res.end();
    })().catch(() => {
      res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  });
}

describe('social sign-in with a hosted UI domain (second portal, fake hosted UI)', () => {
  let hostedUi: FakeHostedUi | undefined;
  let social: Portal | undefined;

  beforeAll(async () => {
    hostedUi = await startFakeHostedUi();
    social = await startPortal({ env: { COGNITO_DOMAIN: hostedUi.url, SOCIAL_PROVIDERS: 'Google,Facebook' }, logName: 'portal-social.log' });
  }, 180_000);

  afterAll(async () => {
    await social?.stop();
    await hostedUi?.close();
  });

  test('buttons shown; a click goes to the authorize URL (code + PKCE S256, state, provider); the callback signs in', async () => {
    if (!social || !hostedUi) throw new Error('set-up failed');
    const { page: p } = await newPage();
    hostedUi.tokensFor = await createTestUser({ prefix: 'e2e-social' });

    await p.goto(`${social.url}/signin?redirectTo=${encodeURIComponent('/jobs')}`);
    const google = p.getByRole('link', { name: 'Continue with Google' });
    await google.waitFor();
    await p.getByRole('link', { name: 'Continue with Facebook' }).waitFor();
    await screenshot(p, '21-social-buttons');
    await p.goto(`${social.url}/signup`);
    await p.getByRole('link', { name: 'Continue with Google' }).waitFor();
    await p.goto(`${social.url}/signin?redirectTo=${encodeURIComponent('/jobs')}`);

    await google.click();
    await p.waitForURL((u) => u.origin === hostedUi!.url && u.pathname === '/oauth2/authorize');
    const q = new URL(p.url()).searchParams;
    expect(q.get('response_type')).toBe('code');
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('state')).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    expect(q.get('identity_provider')).toBe('Google');
    expect(q.get('client_id')).toBe(process.env.USER_POOL_CLIENT_ID);
    expect(q.get('redirect_uri')).toBe(`${social.url}/auth/callback`);
    expect(q.get('scope')?.split(' ')).toEqual(expect.arrayContaining(['openid', 'email']));
    await p.getByRole('heading', { name: 'Sign in with Google' }).waitFor();

    // The hosted UI sends the browser back with a code; the portal exchanges it with the verifier.
    await p.locator('#allow').click();
    await p.waitForURL((u) => u.origin === social!.url && u.pathname === '/jobs');
    expect(hostedUi.tokenRequests).toHaveLength(1);
    const token = hostedUi.tokenRequests[0]!;
    expect(createHash('sha256').update(token.get('code_verifier') ?? '').digest('base64url')).toBe(q.get('code_challenge'));
    await p.goto(`${social.url}/profile`);
    await p.getByText(hostedUi.tokensFor.email).first().waitFor();
  }, 300_000);

  test('the callback refuses a wrong state, a replayed state and a refused consent, with a clear message', async () => {
    if (!social || !hostedUi) throw new Error('set-up failed');
    const { page: p } = await newPage();
    const refused = 'That sign-in link is no longer valid. Please try again.';

    // Wrong state.
    await p.goto(`${social.url}/signin`);
    await p.getByRole('link', { name: 'Continue with Facebook' }).click();
    await p.waitForURL((u) => u.origin === hostedUi!.url);
    const q = new URL(p.url()).searchParams;
    expect(q.get('identity_provider')).toBe('Facebook');
    const tokenCalls = hostedUi.tokenRequests.length;
    await p.goto(`${social.url}/auth/callback?code=code-x&state=${encodeURIComponent(`${q.get('state')}-forged`)}`);
    expect(path(p)).toBe('/signin');
    await p.getByRole('alert').getByText(refused).waitFor();
    await screenshot(p, '24-social-refused');
    // The pending sign-in was used up: even the right state no longer works.
    await p.goto(`${social.url}/auth/callback?code=code-x&state=${encodeURIComponent(q.get('state') ?? '')}`);
    expect(path(p)).toBe('/signin');
    await p.getByRole('alert').getByText(refused).waitFor();
    // No code was ever sent to the token endpoint, and nobody is signed in.
    expect(hostedUi.tokenRequests.length).toBe(tokenCalls);
    await p.goto(`${social.url}/dashboard`);
    expect(path(p)).toBe('/signin');

    // The user cancels on the hosted UI.
    await p.goto(`${social.url}/signin`);
    await p.getByRole('link', { name: 'Continue with Google' }).click();
    await p.waitForURL((u) => u.origin === hostedUi!.url);
    await p.locator('#deny').click();
    await p.waitForURL((u) => u.origin === social!.url && u.pathname === '/signin');
    await p.getByRole('alert').getByText('Sign-in with that provider was cancelled or refused.').waitFor();
  }, 300_000);
});
