import { browser } from 'wxt/browser';
import { defineBackground } from 'wxt/utils/define-background';
import type { ExtensionReply } from '../../lib/contracts/extension-messages.ts';
import { createBackground } from '../utils/background-app.ts';
import { parseExtensionConfig } from '../utils/config.ts';
import type { BrowserPort, MessageSenderPort } from '../utils/ports.ts';

export default defineBackground({
  type: 'module',
  main() {
    let app: ReturnType<typeof createBackground> | null = null;
    let configError = '';
    try {
      const config = parseExtensionConfig({
        WXT_API_URL: import.meta.env.WXT_API_URL,
        WXT_WS_URL: import.meta.env.WXT_WS_URL,
        WXT_COGNITO_ENDPOINT: import.meta.env.WXT_COGNITO_ENDPOINT,
        WXT_USER_POOL_ID: import.meta.env.WXT_USER_POOL_ID,
        WXT_USER_POOL_CLIENT_ID: import.meta.env.WXT_USER_POOL_CLIENT_ID,
        WXT_PORTAL_URL: import.meta.env.WXT_PORTAL_URL,
        WXT_AUTH_DOMAIN: import.meta.env.WXT_AUTH_DOMAIN,
      });
      app = createBackground({
        browser: browser as unknown as BrowserPort,
        config,
        socketFactory: (url) => new WebSocket(url),
        injectContentScript: async (tabId) => {
          await browser.scripting.executeScript({ target: { tabId }, files: ['/content-scripts/content.js'] });
        },
      });
    } catch (e) {
      configError = e instanceof Error ? e.message : String(e);
      console.error(configError);
    }

    // Every start of the worker (install, browser start, wake-up after idle) resumes the session:
    // refresh if the access token is (nearly) expired, re-arm the refresh alarm, re-attach to a
    // running job.
    const ready = app ? app.start().catch((e: unknown) => console.error('Clipforge start failed', e)) : Promise.resolve();

    // Listeners are registered synchronously so a wake-up event is never missed.
    browser.alarms.onAlarm.addListener((alarm) => {
      void ready.then(() => app?.onAlarm(alarm.name));
    });

    // Only runtime.onMessage: no onMessageExternal and no externally_connectable, so other
    // extensions and web pages have no channel to the background at all; the router checks the
    // sender again anyway.
    browser.runtime.onMessage.addListener((message: unknown, sender: MessageSenderPort, sendResponse: (r: ExtensionReply) => void) => {
      if (typeof message === 'object' && message !== null && String((message as { type?: unknown }).type).startsWith('event.')) {
        return false; // our own broadcasts
      }
      if (!app) {
        sendResponse({ ok: false, error: { code: 'NOT_CONFIGURED', message: configError || 'Extension is not configured' } });
        return false;
      }
      const current = app;
      void ready.then(() => current.route(message, sender)).then(sendResponse);
      return true;
    });
  },
});
