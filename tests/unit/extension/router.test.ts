import { describe, expect, it } from '@jest/globals';
import { createBackground } from '../../../extension/utils/background-app.ts';
import { parseExtensionConfig } from '../../../extension/utils/config.ts';
import { classifySender } from '../../../extension/utils/router.ts';
import { TOKENS_KEY } from '../../../extension/utils/session-storage.ts';
import { EXTENSION_ID, EXTENSION_ORIGIN, fakeBrowser, fakeCognito } from './fake-browser.ts';

const config = parseExtensionConfig({
  WXT_API_URL: 'https://api.dev.clipforge.example',
  WXT_COGNITO_ENDPOINT: 'https://cognito.test/',
  WXT_USER_POOL_ID: 'us-east-1_Test',
  WXT_USER_POOL_CLIENT_ID: 'client123',
  WXT_PORTAL_URL: 'https://dev.app.clipforge.example',
});

const popup = { id: EXTENSION_ID, url: `${EXTENSION_ORIGIN}/popup.html` };
const clipperWindow = { id: EXTENSION_ID, url: `${EXTENSION_ORIGIN}/popup.html?tabId=7`, tab: { id: 99, url: `${EXTENSION_ORIGIN}/popup.html?tabId=7` } };
const contentScript = { id: EXTENSION_ID, url: 'https://www.youtube.com/watch?v=abc', tab: { id: 7, url: 'https://www.youtube.com/watch?v=abc' }, frameId: 0 };
const otherExtension = { id: 'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz', url: 'chrome-extension://zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz/bg.js' };
const webPage = { url: 'https://evil.example/', origin: 'https://evil.example', tab: { id: 3 } };
const spoofedOrigin = { id: EXTENSION_ID, url: `https://evil.example/${EXTENSION_ORIGIN}/popup.html`, tab: { id: 3 } };

function app() {
  const browser = fakeBrowser();
  const cognito = fakeCognito(Date.now);
  const api: { path: string; init: RequestInit | undefined }[] = [];
  const fetch = async (input: string, init?: RequestInit) => {
    if (input.startsWith('https://cognito.test')) return cognito.fetch(input, init);
    api.push({ path: input.replace(config.apiUrl, ''), init });
    if (input.endsWith('/jobs/quote')) {
      return Response.json({ durationSeconds: 600, credits: 10, balance: 40, affordable: true, withinLimits: true, limits: { maxSourceSeconds: 3600, maxClipsPerJob: 5, maxHeight: 1920, watermark: false, concurrentJobs: 2 } });
    }
    return Response.json({ error: { code: 'NOT_FOUND', message: 'Not found' } }, { status: 404 });
  };
  const bg = createBackground({ browser, config, fetch });
  return { bg, browser, api };
}

describe('classifySender', () => {
  it('tells extension pages from content scripts and refuses everything else', () => {
    expect(classifySender(popup, EXTENSION_ID, EXTENSION_ORIGIN)).toBe('page');
    expect(classifySender(clipperWindow, EXTENSION_ID, EXTENSION_ORIGIN)).toBe('page');
    expect(classifySender(contentScript, EXTENSION_ID, EXTENSION_ORIGIN)).toBe('content');
    expect(classifySender(otherExtension, EXTENSION_ID, EXTENSION_ORIGIN)).toBeNull();
    expect(classifySender(webPage, EXTENSION_ID, EXTENSION_ORIGIN)).toBeNull();
    expect(classifySender(spoofedOrigin, EXTENSION_ID, EXTENSION_ORIGIN)).toBe('content');
    expect(classifySender({ id: EXTENSION_ID, url: `${EXTENSION_ORIGIN}.evil.example/x` }, EXTENSION_ID, EXTENSION_ORIGIN)).toBeNull();
    expect(classifySender({ id: EXTENSION_ID }, EXTENSION_ID, EXTENSION_ORIGIN)).toBeNull();
  });
});

describe('background message router', () => {
  it('refuses messages from other extensions and web pages before reading them', async () => {
    const { bg } = app();
    for (const sender of [otherExtension, webPage]) {
      const reply = await bg.route({ type: 'auth.signIn', email: 'a@example.com', password: 'x' }, sender);
      expect(reply).toEqual({ ok: false, error: { code: 'FORBIDDEN', message: 'Messages are accepted from this extension only' } });
    }
  });

  it('content scripts (inside web pages) cannot ask for auth, account or jobs', async () => {
    const { bg } = app();
    for (const message of [
      { type: 'auth.state' },
      { type: 'auth.signIn', email: 'a@example.com', password: 'x' },
      { type: 'account.get' },
      { type: 'jobs.current' },
      { type: 'jobs.quote', url: 'https://cdn.example/v.mp4' },
    ]) {
      const reply = await bg.route(message, contentScript);
      expect(reply.ok).toBe(false);
      if (!reply.ok) expect(reply.error.code).toBe('FORBIDDEN');
    }
    // even one whose URL pretends to contain the extension origin
    expect(await bg.route({ type: 'auth.state' }, spoofedOrigin)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it('extension pages cannot pose as content scripts', async () => {
    const { bg } = app();
    const reply = await bg.route({ type: 'content.openClipper', videoId: 'v0' }, popup);
    expect(reply).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it('validates every message with the zod contract', async () => {
    const { bg } = app();
    expect(await bg.route({ type: 'nope' }, popup)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await bg.route('auth.state', popup)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await bg.route({ type: 'auth.mfa', code: '12ab56' }, popup)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await bg.route({ type: 'jobs.quote', url: 'javascript:alert(1)' }, popup)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await bg.route({ type: 'jobs.quote', url: 'https://x.example/v.mp4', range: { startSeconds: 50, endSeconds: 10 } }, popup)).toMatchObject({
      ok: false,
      error: { code: 'BAD_REQUEST' },
    });
  });

  it('answers the popup without ever including a token', async () => {
    const { bg, browser } = app();
    const signedIn = await bg.route({ type: 'auth.signIn', email: 'ana@example.com', password: 'correct horse battery' }, popup);
    expect(signedIn).toMatchObject({ ok: true, data: { status: 'signedIn', user: { email: 'ana@example.com' } } });
    const tokens = browser.storage.session.data.get(TOKENS_KEY) as { accessToken: string; refreshToken: string; idToken: string };
    const state = await bg.route({ type: 'auth.state' }, popup);
    for (const t of [tokens.accessToken, tokens.refreshToken, tokens.idToken]) {
      expect(JSON.stringify(signedIn)).not.toContain(t);
      expect(JSON.stringify(state)).not.toContain(t);
      expect(JSON.stringify(browser.sent)).not.toContain(t);
    }
  });

  it('calls the API with the bearer token and maps API errors to reply errors', async () => {
    const { bg, api } = app();
    expect(await bg.route({ type: 'jobs.quote', url: 'https://cdn.example/v.mp4' }, popup)).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    expect(api).toHaveLength(0); // no token, no request
    await bg.route({ type: 'auth.signIn', email: 'ana@example.com', password: 'correct horse battery' }, popup);
    const quote = await bg.route({ type: 'jobs.quote', url: 'https://cdn.example/v.mp4', range: { startSeconds: 300, endSeconds: 900 } }, popup);
    expect(quote).toMatchObject({ ok: true, data: { credits: 10, balance: 40, affordable: true, upgradeUrl: 'https://dev.app.clipforge.example/billing' } });
    expect(api[0]?.path).toBe('/jobs/quote');
    expect(JSON.parse(String(api[0]?.init?.body))).toEqual({ url: 'https://cdn.example/v.mp4', range: { startSeconds: 300, endSeconds: 900 } });
    expect(String((api[0]?.init?.headers as Record<string, string>).Authorization)).toMatch(/^Bearer ey/);
    const missing = await bg.route({ type: 'jobs.create', url: 'https://cdn.example/v.mp4', options: { clipCount: 2, aspect: '9:16', captions: true }, idempotencyKey: 'key-12345678' }, popup);
    expect(missing).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: 'Not found' } });
    expect((api[1]?.init?.headers as Record<string, string>)['Idempotency-Key']).toBe('key-12345678');
  });

  it('content scripts report their tab’s videos and open the clipper for their own tab only', async () => {
    const { bg, browser } = app();
    const scan = {
      pageUrl: 'https://www.youtube.com/watch?v=abc',
      pageTitle: 'Talk',
      site: 'YouTube',
      videos: [{ id: 'page', url: 'https://www.youtube.com/watch?v=abc', kind: 'page', title: 'Talk', currentTime: 12, duration: 600, paused: false }],
    };
    expect(await bg.route({ type: 'content.videos', scan }, contentScript)).toEqual({ ok: true, data: { stored: 1 } });
    expect(browser.storage.session.data.get('cf.videos.7')).toEqual(scan);
    expect(await bg.route({ type: 'content.openClipper', videoId: 'page' }, contentScript)).toEqual({ ok: true, data: { opened: true } });
    expect(browser.windowsOpened).toEqual([`${EXTENSION_ORIGIN}/popup.html?tabId=7&video=page`]);
    // The popup reads the stored scan when the tab's content script does not answer.
    expect(await bg.route({ type: 'videos.list', tabId: 7 }, popup)).toEqual({ ok: true, data: scan });
    browser.tabReplies.set(7, { ...scan, videos: [{ ...scan.videos[0], currentTime: 30 }] });
    expect(await bg.route({ type: 'videos.list', tabId: 7 }, popup)).toMatchObject({ ok: true, data: { videos: [{ currentTime: 30 }] } });
    expect(browser.tabMessages.at(-1)).toEqual({ tabId: 7, message: { type: 'content.scan' } });
    expect(await bg.route({ type: 'videos.list', tabId: 8 }, popup)).toMatchObject({ ok: false, error: { code: 'NO_PAGE' } });
  });
});
