/**
 * Builds the extension for a deployed-like stage (Chrome MV3 and Firefox MV2) and checks the
 * generated manifests: least permissions, host permissions for the stage's API and Cognito only,
 * the Firefox gecko id and no Chrome-only keys in the Firefox build. No network: wxt/vite only.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const run = promisify(execFile);
const version = (JSON.parse(readFileSync(join(ROOT, 'extension', 'package.json'), 'utf8')) as { version: string }).version;

const STAGE_ENV = {
  WXT_API_URL: 'https://api.dev.clipforge.example',
  WXT_WS_URL: 'wss://ws.dev.clipforge.example/dev',
  WXT_USER_POOL_ID: 'eu-west-1_AbC123',
  WXT_USER_POOL_CLIENT_ID: 'client123',
  WXT_PORTAL_URL: 'https://dev.app.clipforge.example',
  WXT_AUTH_DOMAIN: 'clipforge-dev.auth.eu-west-1.amazoncognito.com',
};

type Manifest = Record<string, unknown> & {
  manifest_version: number;
  version: string;
  permissions?: string[];
  host_permissions?: string[];
  content_scripts?: { matches: string[]; js: string[] }[];
  background?: Record<string, unknown>;
  icons?: Record<string, string>;
};

async function build(browser: 'chrome' | 'firefox', outDir: string): Promise<{ dir: string; manifest: Manifest }> {
  await run(process.execPath, [join(ROOT, 'node_modules', 'wxt', 'bin', 'wxt.mjs'), 'build', '-b', browser], {
    cwd: join(ROOT, 'extension'),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), EXTENSION_OUT_DIR: outDir, ...STAGE_ENV },
    timeout: 280_000,
  });
  const dir = join(outDir, browser === 'chrome' ? 'chrome-mv3' : 'firefox-mv2');
  return { dir, manifest: JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest };
}

const CHROME_ONLY_KEYS = ['minimum_chrome_version', 'key', 'side_panel', 'update_url', 'oauth2', 'export', 'import', 'host_permissions', 'action'];

describe('extension builds', () => {
  let out: string;
  let chrome: { dir: string; manifest: Manifest };
  let firefox: { dir: string; manifest: Manifest };

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'clipforge-ext-build-'));
    chrome = await build('chrome', out);
    firefox = await build('firefox', out);
  }, 600_000);

  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('Chrome: MV3 service worker, least permissions, host permissions for the stage API and Cognito only', () => {
    const m = chrome.manifest;
    expect(m.manifest_version).toBe(3);
    expect(m.version).toBe(version);
    expect([...(m.permissions ?? [])].sort()).toEqual(['activeTab', 'alarms', 'identity', 'scripting', 'storage']);
    expect([...(m.host_permissions ?? [])].sort()).toEqual([
      'https://api.dev.clipforge.example/*',
      'https://clipforge-dev.auth.eu-west-1.amazoncognito.com/*',
      'https://cognito-idp.eu-west-1.amazonaws.com/*',
    ]);
    expect(m.background).toEqual({ service_worker: 'background.js', type: 'module' });
    expect(m).not.toHaveProperty('externally_connectable');
    expect(m).not.toHaveProperty('web_accessible_resources');
    // Deployed stages run the content script on known video sites only (no loopback pages).
    const matches = m.content_scripts?.flatMap((c) => c.matches) ?? [];
    expect(matches).toContain('*://*.youtube.com/*');
    expect(matches.some((x) => x.includes('localhost') || x.includes('127.0.0.1') || x === '<all_urls>')).toBe(false);
    for (const file of Object.values(m.icons ?? {})) expect(existsSync(join(chrome.dir, file))).toBe(true);
    expect(Object.keys(m.icons ?? {})).toEqual(expect.arrayContaining(['16', '32', '48', '128']));
  });

  it('bakes the stage configuration into the bundle, and nothing secret', () => {
    const background = readFileSync(join(chrome.dir, 'background.js'), 'utf8');
    expect(background).toContain('https://api.dev.clipforge.example');
    expect(background).toContain('client123');
    expect(background).not.toMatch(/sk_(live|test)_|AKIA[0-9A-Z]{16}/);
  });

  it('Firefox: valid MV2 manifest with a gecko id, the same permissions and no Chrome-only keys', () => {
    const m = firefox.manifest;
    expect(m.manifest_version).toBe(2);
    expect(m.version).toBe(version);
    expect(m.browser_specific_settings).toEqual({ gecko: { id: 'extension@clipforge.example', strict_min_version: '115.0' } });
    const gecko = (m.browser_specific_settings as { gecko: { id: string } }).gecko;
    expect(gecko.id).toMatch(/^[A-Za-z0-9._-]+@[A-Za-z0-9._-]+$/); // AMO: email-like or {GUID}
    for (const key of CHROME_ONLY_KEYS) expect(m).not.toHaveProperty(key);
    expect([...(m.permissions ?? [])].sort()).toEqual([
      'activeTab',
      'alarms',
      'https://api.dev.clipforge.example/*',
      'https://clipforge-dev.auth.eu-west-1.amazoncognito.com/*',
      'https://cognito-idp.eu-west-1.amazonaws.com/*',
      'identity',
      'scripting',
      'storage',
    ]);
    expect(m.background).toMatchObject({ scripts: ['background.js'] });
    expect(m.background).not.toHaveProperty('service_worker');
    expect(m.browser_action).toMatchObject({ default_popup: 'popup.html' });
    for (const script of m.content_scripts ?? []) for (const js of script.js) expect(existsSync(join(firefox.dir, js))).toBe(true);
    for (const file of Object.values(m.icons ?? {})) expect(existsSync(join(firefox.dir, file))).toBe(true);
    expect(existsSync(join(firefox.dir, 'popup.html'))).toBe(true);
  });
});
