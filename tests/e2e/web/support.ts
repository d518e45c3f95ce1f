/**
 * Browser e2e support for the portal: Debian Chromium through playwright-core, the built portal
 * started on the port the stack reserved for it (PORTAL_URL, so Stripe return URLs reach it),
 * console-error tracking and screenshots in artifacts/screenshots/.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const ROOT = resolve(import.meta.dirname, '..', '..', '..');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/lib/chromium/chromium';
export const SCREENSHOTS = join(ROOT, 'artifacts', 'screenshots');
export const DOWNLOADS = join(ROOT, 'artifacts', 'downloads');
/** The portal's session secret in the portal this suite starts (local stage). */
export const E2E_SESSION_SECRET = 'e2e-only-session-secret-0123456789-abcdefghijklmnop';

export function assertChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium fonts-liberation`);
  }
}

export async function launchBrowser(): Promise<Browser> {
  assertChromium();
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
  });
}

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run with the e2e project (tests/support/global-setup.ts starts the stack)`);
  return v;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds web/ when the build is missing or older than the sources. */
export function ensurePortalBuild(): void {
  const out = join(ROOT, 'web', 'build', 'server', 'index.js');
  const sources = Math.max(newestMtime(join(ROOT, 'web', 'app')), newestMtime(join(ROOT, 'lib', 'auth-client')), newestMtime(join(ROOT, 'lib', 'contracts')));
  if (existsSync(out) && statSync(out).mtimeMs > sources) return;
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', '@react-router', 'dev', 'bin.cjs'), 'build'], { cwd: join(ROOT, 'web'), encoding: 'utf8', env: { ...process.env, STAGE: 'local' } });
  if (r.status !== 0) throw new Error(`web build failed:\n${r.stdout}\n${r.stderr}`);
}

export interface Portal {
  url: string;
  /** The session secret, when this suite started the portal. */
  secret: string;
  stop(): Promise<void>;
}

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1500) });
    return res.ok;
  } catch {
    return false;
  }
}

export interface PortalOptions {
  /**
   * Extra environment for a portal of this test's own (e.g. COGNITO_DOMAIN + SOCIAL_PROVIDERS).
   * With it, a new portal is always started, on a free port, with PORTAL_URL pointing at itself.
   */
  env?: Record<string, string>;
  /** Log file name under artifacts/ (default portal.log). */
  logName?: string;
}

/** A free TCP port on 127.0.0.1 (closed again before it is returned). */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/**
 * Uses the portal the harness started, or starts the built one on PORTAL_URL's port. With
 * `opts.env`, always starts another built portal on a free port with that extra environment.
 */
export async function startPortal(opts: PortalOptions = {}): Promise<Portal> {
  const own = opts.env !== undefined;
  const url = own ? `http://localhost:${await freePort()}` : env('PORTAL_URL').replace(/\/$/, '');
  if (!own && (await healthy(url))) return { url, secret: '', stop: async () => {} };
  ensurePortalBuild();
  const port = new URL(url).port;
  let output = '';
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'node_modules', '@react-router', 'serve', 'bin.cjs'), './build/server/index.js'], {
    cwd: join(ROOT, 'web'),
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      PORT: port,
      STAGE: 'local',
      API_URL: env('API_URL'),
      WS_URL: env('WS_URL'),
      COGNITO_ENDPOINT: env('COGNITO_ENDPOINT'),
      USER_POOL_ID: env('USER_POOL_ID'),
      USER_POOL_CLIENT_ID: env('USER_POOL_CLIENT_ID'),
      AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
      PORTAL_URL: url,
      SESSION_SECRET: E2E_SESSION_SECRET,
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  mkdirSync(join(ROOT, 'artifacts'), { recursive: true });
  const log = createWriteStream(join(ROOT, 'artifacts', opts.logName ?? 'portal.log'));
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
    log.write(d);
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
    log.write(d);
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5000, undefined, { ref: false })]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    log.end();
  };
  const deadline = Date.now() + 60_000;
  while (!(await healthy(url))) {
    if (child.exitCode !== null) throw new Error(`The portal exited:\n${output}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`The portal did not start:\n${output}`);
    }
    await sleep(200);
  }
  return { url, secret: E2E_SESSION_SECRET, stop };
}

/** Signs in through the portal's sign-in page and waits for `redirectTo`. */
export async function signInThroughPortal(page: Page, portalUrl: string, email: string, password: string, redirectTo = '/dashboard'): Promise<void> {
  await page.goto(`${portalUrl}/signin?redirectTo=${encodeURIComponent(redirectTo)}`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => u.pathname === redirectTo);
}

/**
 * Records console errors and uncaught page errors of every page in a context. `allow` takes
 * patterns expected during a negative test (e.g. the 403 of a refused cross-site request).
 */
export function trackConsole(context: BrowserContext) {
  const errors: string[] = [];
  const allowed: RegExp[] = [];
  const watch = (page: Page) => {
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const text = `${msg.text()} @ ${msg.location().url}`;
      if (!allowed.some((re) => re.test(text))) errors.push(text);
    });
    page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  return {
    errors,
    async allowDuring<T>(patterns: RegExp[], fn: () => Promise<T>): Promise<T> {
      allowed.push(...patterns);
      try {
        return await fn();
      } finally {
        allowed.splice(allowed.length - patterns.length, patterns.length);
      }
    },
  };
}

/** Saves artifacts/screenshots/<name>.png; `settle: false` shoots at once (e.g. mid-upload). */
export async function screenshot(page: Page, name: string, opts: { settle?: boolean } = {}): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  if (opts.settle !== false) await page.waitForLoadState('networkidle').catch(() => undefined);
  // A full-page shot of a scrolled page would paint the sticky header mid-page.
  await page.evaluate(() => window.scrollTo(0, 0)).catch(() => undefined);
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true, caret: 'initial' });
}

/** The confirmation code cognito-local stored for `email`. */
export async function confirmationCode(email: string, timeoutMs = 15_000): Promise<string> {
  const file = join(env('COGNITO_DATA_DIR'), 'db', `${env('USER_POOL_ID')}.json`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const db = JSON.parse(readFileSync(file, 'utf8')) as { Users?: Record<string, { Attributes?: { Name: string; Value: string }[]; ConfirmationCode?: string }> };
      for (const user of Object.values(db.Users ?? {})) {
        const mail = user.Attributes?.find((a) => a.Name === 'email')?.Value;
        if (mail === email && user.ConfirmationCode) return user.ConfirmationCode;
      }
    } catch {
      // The file is rewritten while we read it: retry.
    }
    if (Date.now() > deadline) throw new Error(`No confirmation code for ${email} in ${file}`);
    await sleep(200);
  }
}
