import { pageScanSchema, type Account, type ExtensionEvent, type PageScan } from '../../lib/contracts/extension-messages.ts';
import { createApi, type Api } from './api.ts';
import { ExtensionAuth, REFRESH_ALARM } from './auth.ts';
import type { ExtensionConfig } from './config.ts';
import { JOB_ALARM, JobTracker, type SocketFactory } from './job-tracker.ts';
import type { BrowserPort, Clock, FetchPort } from './ports.ts';
import { createRouter, ReplyableError, type Handlers } from './router.ts';

/** Credits at or below which the popup shows the upgrade link. */
export const LOW_CREDITS = 5;
const videosKey = (tabId: number) => `cf.videos.${tabId}`;

export interface BackgroundDeps {
  browser: BrowserPort;
  config: ExtensionConfig;
  fetch?: FetchPort;
  socketFactory?: SocketFactory;
  now?: Clock;
  /** Injects the content script into a tab on demand (scripting + activeTab). */
  injectContentScript?: (tabId: number) => Promise<void>;
}

/**
 * Everything the background worker does, wired from its ports: auth, API, job tracking and the
 * message router. The entry point (entrypoints/background.ts) passes the real browser APIs.
 */
export function createBackground(deps: BackgroundDeps) {
  const { browser, config } = deps;
  const fetchImpl: FetchPort = deps.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const broadcast = (event: ExtensionEvent) => {
    // Only extension pages listen (content scripts are not sent runtime broadcasts).
    browser.runtime.sendMessage(event).catch(() => {
      // No popup open: nobody to tell.
    });
  };
  const auth = new ExtensionAuth({
    browser,
    config,
    fetch: fetchImpl,
    ...(deps.now ? { now: deps.now } : {}),
    onChange: (state) => {
      broadcast({ type: 'event.auth', state });
      if (state.status !== 'signedIn') tracker.stop();
    },
  });
  const api: Api = createApi({ baseUrl: config.apiUrl, fetch: fetchImpl, accessToken: () => auth.accessToken() });
  const tracker = new JobTracker({
    api,
    session: browser.storage.session,
    alarms: browser.alarms,
    portalUrl: config.portalUrl,
    ...(config.wsUrl ? { wsUrl: config.wsUrl } : {}),
    ...(deps.socketFactory ? { socketFactory: deps.socketFactory } : {}),
    accessToken: () => auth.accessToken(),
    publish: (job) => broadcast({ type: 'event.job', job }),
    ...(deps.now ? { now: deps.now } : {}),
  });

  const upgradeUrl = `${config.portalUrl}/billing`;

  async function account(): Promise<Account> {
    // One after the other: the first call creates the account (free tier + monthly grant).
    const subscription = await api.subscription();
    const usage = await api.usage();
    return {
      tier: subscription.tier,
      credits: usage.balance,
      low: usage.balance <= LOW_CREDITS,
      maxClips: subscription.limits.maxClipsPerJob,
      upgradeUrl,
      portalUrl: config.portalUrl,
    };
  }

  async function scanTab(tabId: number): Promise<PageScan> {
    const ask = async () => pageScanSchema.parse(await browser.tabs.sendMessage(tabId, { type: 'content.scan' }));
    try {
      return await ask();
    } catch {
      // No content script in that tab yet (not a known video site): inject it, then ask again.
    }
    if (deps.injectContentScript) {
      try {
        await deps.injectContentScript(tabId);
        return await ask();
      } catch {
        // No permission for this tab (the popup was not opened from it) or a browser page.
      }
    }
    const stored = pageScanSchema.safeParse((await browser.storage.session.get(videosKey(tabId)))[videosKey(tabId)]);
    if (stored.success) return stored.data;
    throw new ReplyableError('NO_PAGE', 'Clipforge cannot read this tab. Open a page with a video and try again.');
  }

  const handlers: Handlers = {
    'auth.state': () => auth.state(),
    'auth.signIn': (r) => auth.signIn(r.email, r.password),
    'auth.mfa': (r) => auth.mfa(r.code),
    'auth.hostedUi': (r) => auth.hostedUi(r.provider),
    'auth.signOut': () => auth.signOut(),
    'account.get': () => account(),
    'videos.list': (r) => scanTab(r.tabId),
    'jobs.quote': async (r) => {
      const quote = await api.quote(r.url, r.range);
      return {
        durationSeconds: quote.durationSeconds,
        credits: quote.credits,
        affordable: quote.affordable && quote.withinLimits,
        balance: quote.balance,
        upgradeUrl,
      };
    },
    'jobs.create': async (r) => {
      const created = await api.createJob(r.url, r.options, r.idempotencyKey, r.range);
      return tracker.start(created.jobId, created.status);
    },
    'jobs.current': async () => {
      await tracker.resume().catch(() => {});
      return tracker.current();
    },
    'content.videos': async (r, { sender }) => {
      const tabId = sender.tab?.id;
      if (tabId === undefined) throw new ReplyableError('BAD_REQUEST', 'No tab');
      await browser.storage.session.set({ [videosKey(tabId)]: r.scan });
      return { stored: r.scan.videos.length };
    },
    'content.openClipper': async (r, { sender }) => {
      const tabId = sender.tab?.id;
      if (tabId === undefined || !browser.windows) return { opened: false };
      const url = browser.runtime.getURL(`/popup.html?tabId=${tabId}&video=${encodeURIComponent(r.videoId)}`);
      await browser.windows.create({ url, type: 'popup', width: 420, height: 680 });
      return { opened: true };
    },
  };

  const route = createRouter({
    extensionId: browser.runtime.id,
    extensionOrigin: browser.runtime.getURL('/').replace(/\/+$/, ''),
    handlers,
  });

  return {
    auth,
    api,
    tracker,
    route,
    /** Run at every worker start. */
    async start(): Promise<void> {
      await auth.resume();
      await tracker.resume().catch(() => {});
    },
    async onAlarm(name: string): Promise<void> {
      if (name === REFRESH_ALARM) await auth.onAlarm();
      if (name === JOB_ALARM) await tracker.resume().catch(() => {});
    },
  };
}
