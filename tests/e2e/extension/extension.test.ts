/**
 * The built Chrome extension in Debian Chromium (headless, unpacked) against the local stack:
 * a local page with a <video> → the content script finds it → sign in through the popup → quote →
 * confirm → progress → first clip; a web page's forged messages are refused; no token ever lands
 * in storage.local. Screenshots of the popup states go to artifacts/screenshots/extension-*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type BrowserContext, type Page, type Worker } from 'playwright-core';
import { generateSync } from 'otplib';
import { createCognitoClient } from '../../../lib/auth-client/cognito.ts';
import { makeSampleVideo } from '../../../scripts/make-sample-video.ts';
import { createTestUser, type TestUser } from '../../support/users.ts';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/lib/chromium/chromium';
const SHOTS = join(ROOT, 'artifacts', 'screenshots');
const run = promisify(execFile);

/** The extension API as seen from the service worker (playwright evaluates these in the worker). */
interface ChromeInWorker {
  storage: { session: { get(k: null): Promise<Record<string, unknown>> }; local: { get(k: null): Promise<Record<string, unknown>> } };
  runtime: { getManifest(): unknown };
}
declare const chrome: ChromeInWorker;

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run under the e2e harness (tests/support/global-setup.ts)`);
  return v;
}

/** Builds the Chrome extension for the harness's local stack into `outDir`. */
async function buildExtension(outDir: string): Promise<string> {
  await run(process.execPath, [join(ROOT, 'node_modules', 'wxt', 'bin', 'wxt.mjs'), 'build', '-b', 'chrome'], {
    cwd: join(ROOT, 'extension'),
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? tmpdir(),
      EXTENSION_OUT_DIR: outDir,
      WXT_API_URL: env('API_URL'),
      WXT_WS_URL: env('WS_URL'),
      WXT_COGNITO_ENDPOINT: env('COGNITO_ENDPOINT'),
      WXT_USER_POOL_ID: env('USER_POOL_ID'),
      WXT_USER_POOL_CLIENT_ID: env('USER_POOL_CLIENT_ID'),
      WXT_PORTAL_URL: process.env.PORTAL_URL ?? 'http://localhost:5173',
    },
    timeout: 120_000,
  });
  const dir = join(outDir, 'chrome-mv3');
  if (!existsSync(join(dir, 'manifest.json'))) throw new Error(`wxt build wrote no manifest in ${dir}`);
  return dir;
}

function testPage(videoUrl: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Lecture: clipping test</title></head>
<body style="font-family:sans-serif">
  <h1>A lecture</h1>
  <video id="lecture" src="${videoUrl}" controls muted preload="metadata" width="480"></video>
  <p>Some page text.</p>
  <script>
    // What a hostile page can try: reply listeners record anything that would come back.
    window.__replies = [];
    window.addEventListener('message', (e) => { if (e.source !== window) window.__replies.push(e.data); });
  </script>
</body></html>`;
}

async function startPageServer(html: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/watch')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(html);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/watch.html`, server };
}

describe('browser extension (Chromium, local stack)', () => {
  let work: string;
  let extensionDir: string;
  let context: BrowserContext;
  let worker: Worker;
  let extensionId: string;
  let pageServer: Server | undefined;
  let pageUrl: string;
  let videoUrl: string;
  let user: TestUser;
  let videoPage: Page;
  let tabId: number;

  const shot = async (page: Page, name: string) => {
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, `extension-${name}.png`), fullPage: true });
  };
  const session = () => worker.evaluate(() => chrome.storage.session.get(null)) as Promise<Record<string, unknown>>;
  const local = () => worker.evaluate(() => chrome.storage.local.get(null)) as Promise<Record<string, unknown>>;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium)`);
    work = mkdtempSync(join(tmpdir(), 'clipforge-ext-e2e-'));
    const sample = makeSampleVideo({ outPath: join(env('MEDIA_DIR'), 'extension-lecture.mp4'), seconds: 45, width: 640, height: 360, preset: 'ultrafast' });
    const [dir] = await Promise.all([buildExtension(join(work, 'build')), sample]);
    extensionDir = dir;
    videoUrl = `${env('MEDIA_SERVER_URL')}/extension-lecture.mp4`;
    const served = await startPageServer(testPage(videoUrl));
    pageServer = served.server;
    pageUrl = served.url;
    user = await createTestUser({ prefix: 'extension' });

    context = await chromium.launchPersistentContext(join(work, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 380, height: 640 },
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--disable-extensions-except=${extensionDir}`,
        `--load-extension=${extensionDir}`,
      ],
    });
    worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker', { timeout: 30_000 }));
    extensionId = new URL(worker.url()).host;
  }, 240_000);

  afterAll(async () => {
    await context?.close().catch(() => {});
    await new Promise<void>((r) => (pageServer ? pageServer.close(() => r()) : r()));
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('loads with least permissions and finds the <video> on a page', async () => {
    const manifest = (await worker.evaluate(() => chrome.runtime.getManifest())) as { permissions: string[]; host_permissions: string[] };
    expect(manifest.permissions.sort()).toEqual(['activeTab', 'alarms', 'identity', 'scripting', 'storage']);
    // the stage's API and Cognito origins, nothing else (Chrome match patterns ignore ports)
    const origins = [env('API_URL'), env('COGNITO_ENDPOINT')].map((u) => `${new URL(u).protocol}//${new URL(u).hostname}/*`);
    expect([...manifest.host_permissions].sort()).toEqual([...new Set(origins)].sort());

    videoPage = await context.newPage();
    await videoPage.setViewportSize({ width: 900, height: 600 });
    await videoPage.goto(pageUrl);
    await videoPage.waitForSelector('clipforge-button', { state: 'attached', timeout: 15_000 });
    // The content script told the background about the page's video (tab id in the key).
    let key: string | undefined;
    for (let i = 0; i < 50 && !key; i++) {
      key = Object.keys(await session()).find((k) => k.startsWith('cf.videos.'));
      if (!key) await new Promise((r) => setTimeout(r, 200));
    }
    expect(key).toBeDefined();
    tabId = Number(key?.split('.').pop());
    const scan = (await session())[key ?? ''] as { videos: { url: string; kind: string }[] };
    expect(scan.videos).toEqual([expect.objectContaining({ url: videoUrl, kind: 'media' })]);
    mkdirSync(SHOTS, { recursive: true });
    await videoPage.screenshot({ path: join(SHOTS, 'extension-page-button.png') });
  }, 60_000);

  it('signs in through the popup, quotes, confirms, and shows progress and the first clip', async () => {
    const popup = await context.newPage();
    const errors: string[] = [];
    popup.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    popup.on('pageerror', (e) => errors.push(e.message));
    await popup.goto(`chrome-extension://${extensionId}/popup.html?tabId=${tabId}`);
    await popup.getByRole('heading', { name: 'Sign in to clip videos' }).waitFor();
    await shot(popup, 'signin');

    await popup.getByLabel('Email').fill(user.email);
    await popup.getByLabel('Password').fill('not-the-password-1A!');
    await popup.getByRole('button', { name: 'Sign in' }).click();
    await popup.getByRole('alert').waitFor({ timeout: 60_000 });
    await expect(popup.getByRole('alert').textContent()).resolves.toBe('Incorrect email or password.');
    await shot(popup, 'signin-error');

    await popup.getByLabel('Password').fill(user.password);
    await popup.getByRole('button', { name: 'Sign in' }).click();
    await popup.getByTestId('video').first().waitFor({ timeout: 30_000 });
    await expect(popup.getByTestId('credits').textContent()).resolves.toMatch(/^\d+ credits$/);
    await expect(popup.getByTestId('video').first().textContent()).resolves.toContain('Lecture: clipping test');
    await shot(popup, 'videos');

    // Tokens: in storage.session only.
    const sessionData = await session();
    const tokens = sessionData['cf.tokens'] as { accessToken: string; refreshToken: string; idToken: string };
    expect(tokens.accessToken.split('.')).toHaveLength(3);
    const localJson = JSON.stringify(await local());
    for (const t of [tokens.accessToken, tokens.refreshToken, tokens.idToken]) expect(localJson).not.toContain(t);
    // and never in the popup's own web storage
    const pageStorage = await popup.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    expect(pageStorage).not.toContain(tokens.refreshToken);

    await popup.getByRole('button', { name: 'Get credit quote' }).click();
    await popup.getByTestId('quote').waitFor({ timeout: 60_000 });
    await expect(popup.getByTestId('quote-credits').textContent()).resolves.toBe('1');
    await shot(popup, 'quote');

    await popup.getByRole('button', { name: /^Confirm — use 1 credit$/ }).click();
    await popup.getByTestId('job').waitFor({ timeout: 30_000 });
    await shot(popup, 'progress');
    const link = popup.getByTestId('clip-link').first();
    await link.waitFor({ timeout: 240_000 });
    const href = await link.getAttribute('href');
    expect(href).toMatch(/^http:\/\/localhost:\d+\/jobs\/[^/]+#clip-/);
    await shot(popup, 'clips');

    // storage.local still holds no token after refreshes, job tracking and the whole flow
    const finalTokens = (await session())['cf.tokens'] as { accessToken: string; refreshToken: string };
    const finalLocal = JSON.stringify(await local());
    expect(finalLocal).not.toContain(finalTokens.accessToken);
    expect(finalLocal).not.toContain(finalTokens.refreshToken);
    expect(errors).toEqual([]);
    await popup.close();
  }, 400_000);

  it("refuses a web page's forged messages", async () => {
    const before = (await session())[`cf.videos.${tabId}`];
    const pagesBefore = context.pages().length;
    const result = await videoPage.evaluate(async (id) => {
      const w = window as unknown as { chrome?: { runtime?: { sendMessage?: (...a: unknown[]) => unknown } }; __replies: unknown[] };
      const out: { runtimeReachable: boolean; sendError: string | null } = { runtimeReachable: typeof w.chrome?.runtime?.sendMessage === 'function', sendError: null };
      try {
        await w.chrome?.runtime?.sendMessage?.(id, { type: 'auth.state' });
        if (!out.runtimeReachable) out.sendError = 'chrome.runtime is not exposed to this page';
      } catch (e) {
        out.sendError = e instanceof Error ? e.message : String(e);
      }
      // Messages posted into the page, shaped like the extension's own (content scripts ignore them).
      const forgedScan = { pageUrl: location.href, pageTitle: 'x', site: null, videos: [{ id: 'v0', url: 'https://evil.example/forged.mp4', kind: 'media', title: 'forged', currentTime: 0, duration: 1, paused: true }] };
      window.postMessage({ type: 'content.videos', scan: forgedScan }, '*');
      window.postMessage({ type: 'auth.state' }, '*');
      window.postMessage({ type: 'content.openClipper', videoId: 'v0' }, '*');
      // A synthetic click on the in-page button's host (its closed shadow root hides the button).
      document.querySelector('clipforge-button')?.dispatchEvent(new MouseEvent('click', { bubbles: true }));
      await new Promise((r) => setTimeout(r, 1000));
      return { ...out, replies: w.__replies.length };
    }, extensionId);
    expect(result.runtimeReachable).toBe(false);
    expect(result.sendError).not.toBeNull();
    expect(result.replies).toBe(0);
    expect((await session())[`cf.videos.${tabId}`]).toEqual(before);
    expect(JSON.stringify(await session())).not.toContain('evil.example');
    expect(context.pages().length).toBe(pagesBefore);
  }, 60_000);

  it('signs out (tokens gone), then signs in a TOTP account through the MFA step', async () => {
    const mfaUser = await createTestUser({ prefix: 'extension-mfa' });
    const cognito = createCognitoClient({ config: { clientId: env('USER_POOL_CLIENT_ID'), region: 'us-east-1', endpoint: env('COGNITO_ENDPOINT') } });
    const secret = await cognito.associateSoftwareToken(mfaUser.accessToken);
    const totp = () => generateSync({ secret, algorithm: 'sha1', digits: 6, period: 30 });
    await cognito.verifySoftwareToken(mfaUser.accessToken, totp());
    await cognito.setTotpEnabled(mfaUser.accessToken, true);

    const popup = await context.newPage();
    await popup.goto(`chrome-extension://${extensionId}/popup.html?tabId=${tabId}`);
    const signedIn = (await session())['cf.tokens'] as { accessToken: string };
    const me = async () => (await fetch(`${env('API_URL')}/me`, { headers: { authorization: `Bearer ${signedIn.accessToken}` } })).status;
    expect(await me()).toBe(200);
    await popup.getByRole('button', { name: 'Sign out' }).click();
    await popup.getByRole('heading', { name: 'Sign in to clip videos' }).waitFor();
    expect((await session())['cf.tokens']).toBeUndefined();
    // Signed out through the API: the old access token no longer works there (not only once it expires).
    expect(await me()).toBe(401);

    await popup.getByLabel('Email').fill(mfaUser.email);
    await popup.getByLabel('Password').fill(mfaUser.password);
    await popup.getByRole('button', { name: 'Sign in' }).click();
    await popup.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    expect((await session())['cf.tokens']).toBeUndefined();
    await shot(popup, 'mfa');
    await popup.getByLabel('Authentication code').fill(totp());
    await popup.getByRole('button', { name: 'Verify' }).click();
    await popup.getByTestId('credits').waitFor({ timeout: 30_000 });
    const tokens = (await session())['cf.tokens'] as { refreshToken: string };
    expect(tokens.refreshToken).toBeTruthy();
    expect(JSON.stringify(await local())).not.toContain(tokens.refreshToken);
    await popup.close();
  }, 120_000);
});
