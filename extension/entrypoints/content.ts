import { browser } from 'wxt/browser';
import { defineContentScript } from 'wxt/utils/define-content-script';
import type { ContentRequest, PageScan } from '../../lib/contracts/extension-messages.ts';
import { KNOWN_SITE_MATCHES, scanPage } from '../utils/page-scan.ts';

/**
 * Runs on known video sites (and on loopback pages in local-stage builds, see wxt.config.ts); on
 * any other site it is injected on demand through activeTab + scripting when the user opens the
 * popup. It only reads the page's <video> elements and reports them: it never receives tokens,
 * and it ignores window.postMessage entirely (a page cannot talk to the extension through it).
 */
export default defineContentScript({
  matches: KNOWN_SITE_MATCHES,
  runAt: 'document_idle',
  main() {
    const w = window as Window & { __clipforgeContent?: boolean };
    if (w.__clipforgeContent) return; // injected twice (manifest + on demand)
    w.__clipforgeContent = true;

    const scan = (): PageScan =>
      scanPage({ url: location.href, title: document.title, videos: document.querySelectorAll('video') });

    let lastReported = '';
    let button: HTMLElement | null = null;

    const report = () => {
      const result = scan();
      updateButton(result);
      const key = JSON.stringify(result.videos.map((v) => [v.id, v.url]));
      if (key === lastReported) return;
      lastReported = key;
      browser.runtime.sendMessage({ type: 'content.videos', scan: result }).catch(() => {
        // The background is restarting or the extension was updated; the next change reports again.
      });
    };

    function updateButton(result: PageScan) {
      const first = result.videos[0];
      if (!first) {
        button?.remove();
        button = null;
        return;
      }
      if (button) return;
      const host = document.createElement('clipforge-button');
      host.style.cssText = 'all:initial;';
      const root = host.attachShadow({ mode: 'closed' });
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = '✂ Clip with Clipforge';
      b.title = 'Make short clips from this video';
      b.style.cssText =
        'position:fixed;right:16px;bottom:16px;z-index:2147483647;font:600 13px/1 system-ui,sans-serif;color:#fff;' +
        'background:#6d28d9;border:0;border-radius:999px;padding:10px 14px;box-shadow:0 4px 14px rgba(0,0,0,.25);cursor:pointer;';
      b.addEventListener('click', (event) => {
        if (!event.isTrusted) return; // a script on the page cannot press it for the user
        const current = scan().videos[0];
        if (!current) return;
        browser.runtime.sendMessage({ type: 'content.openClipper', videoId: current.id }).catch(() => {});
      });
      root.append(b);
      document.documentElement.append(host);
      button = host;
    }

    browser.runtime.onMessage.addListener((message: unknown, sender: { id?: string }, sendResponse: (scan: PageScan) => void) => {
      if (sender.id !== browser.runtime.id) return undefined;
      // The only request (contentRequestSchema); checked by hand to keep zod out of every page.
      if ((message as Partial<ContentRequest> | null)?.type !== 'content.scan') return undefined;
      sendResponse(scan());
      return undefined;
    });

    let timer: ReturnType<typeof setTimeout> | undefined;
    const soon = () => {
      clearTimeout(timer);
      timer = setTimeout(report, 400);
    };
    new MutationObserver(soon).observe(document.documentElement, { childList: true, subtree: true, attributes: true, attributeFilter: ['src'] });
    document.addEventListener('loadedmetadata', soon, true);
    window.addEventListener('popstate', soon);
    report();
  },
});
