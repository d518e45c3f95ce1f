import { browser } from 'wxt/browser';
import {
  clipOptionsSchema,
  extensionEventSchema,
  type Account,
  type AuthState,
  type ClipOptions,
  type ExtensionReply,
  type ExtensionRequest,
  type PageScan,
  type PageVideo,
  type Quote,
  type ReplyData,
  type TrackedJob,
} from '../../../lib/contracts/extension-messages.ts';
import { rangeAround } from '../../utils/page-scan.ts';
import { PREFS_KEY } from '../../utils/session-storage.ts';
import { el, formatDuration, stageLabel } from './ui.ts';

/** The popup (also opened as a small window by the in-page button, with ?tabId=). */

const app = document.getElementById('app') as HTMLElement;
const accountBox = document.getElementById('account') as HTMLElement;
const params = new URLSearchParams(location.search);

class PopupError extends Error {
  code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

async function send<T extends ExtensionRequest['type']>(request: Extract<ExtensionRequest, { type: T }>): Promise<ReplyData[T]> {
  const reply = (await browser.runtime.sendMessage(request)) as ExtensionReply<ReplyData[T]> | undefined;
  if (!reply) throw new PopupError('NO_REPLY', 'The extension did not answer. Try again.');
  if (!reply.ok) throw new PopupError(reply.error.code, reply.error.message);
  return reply.data;
}

const DEFAULT_OPTIONS: ClipOptions = { clipCount: 3, aspect: '9:16', captions: true };

interface View {
  auth: AuthState | null;
  account: Account | null;
  scan: PageScan | null;
  scanError: string | null;
  selected: string | null;
  useRange: boolean;
  options: ClipOptions;
  quote: Quote | null;
  quoteFor: string | null;
  idempotencyKey: string | null;
  job: TrackedJob | null;
  busy: boolean;
  error: string | null;
}

const view: View = {
  auth: null,
  account: null,
  scan: null,
  scanError: null,
  selected: params.get('video'),
  useRange: false,
  options: DEFAULT_OPTIONS,
  quote: null,
  quoteFor: null,
  idempotencyKey: null,
  job: null,
  busy: false,
  error: null,
};

function setError(e: unknown) {
  view.error = e instanceof Error ? e.message : 'Something went wrong. Try again.';
  if (e instanceof PopupError && e.code === 'UNAUTHORIZED') void loadAuth();
}

async function busy(fn: () => Promise<void>) {
  view.busy = true;
  view.error = null;
  render();
  try {
    await fn();
  } catch (e) {
    setError(e);
  } finally {
    view.busy = false;
    render();
  }
}

async function targetTabId(): Promise<number | null> {
  const fromParam = Number(params.get('tabId'));
  if (params.get('tabId') && Number.isInteger(fromParam) && fromParam >= 0) return fromParam;
  const [tab] = await browser.tabs.query({ active: true, currentWindow: true });
  return tab?.id ?? null;
}

async function loadAuth() {
  view.auth = await send({ type: 'auth.state' });
  if (view.auth.status === 'signedIn') await loadSignedIn();
  render();
}

async function loadSignedIn() {
  const [account, job] = await Promise.all([
    send({ type: 'account.get' }).catch((e: unknown) => {
      setError(e);
      return null;
    }),
    send({ type: 'jobs.current' }).catch(() => null),
  ]);
  view.account = account;
  if (account && view.options.clipCount > account.maxClips) view.options = { ...view.options, clipCount: account.maxClips };
  view.job = job;
  await loadVideos();
}

async function loadVideos() {
  view.scanError = null;
  const tabId = await targetTabId();
  if (tabId === null) {
    view.scanError = 'Open a tab with a video first.';
    return;
  }
  try {
    view.scan = await send({ type: 'videos.list', tabId });
    if (!view.scan.videos.some((v) => v.id === view.selected)) view.selected = view.scan.videos[0]?.id ?? null;
  } catch (e) {
    view.scan = null;
    view.scanError = e instanceof Error ? e.message : 'This page cannot be read.';
  }
}

function selectedVideo(): PageVideo | null {
  return view.scan?.videos.find((v) => v.id === view.selected) ?? null;
}

function currentRange() {
  const v = selectedVideo();
  return v && view.useRange ? rangeAround(v.currentTime, v.duration) : null;
}

function resetQuote() {
  view.quote = null;
  view.quoteFor = null;
  view.idempotencyKey = null;
}

async function savePrefs() {
  await browser.storage.local.set({ [PREFS_KEY]: view.options });
}

// ---------------------------------------------------------------- rendering

function renderAccount() {
  accountBox.replaceChildren();
  if (view.auth?.status !== 'signedIn') return;
  const a = view.account;
  if (a) {
    accountBox.append(
      el('span', { class: 'tier', title: 'Your plan' }, a.tier),
      el('span', { class: `credits${a.low ? ' low' : ''}`, 'data-testid': 'credits' }, `${a.credits} credits`),
    );
  }
  accountBox.append(
    el('button', { class: 'link small', type: 'button', onclick: () => void busy(async () => applyAuth(await send({ type: 'auth.signOut' }))) }, 'Sign out'),
  );
}

function renderSignIn(): Node[] {
  const email = el('input', { type: 'email', name: 'email', autocomplete: 'username', required: true, placeholder: 'you@example.com' });
  const password = el('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const form = el(
    'form',
    {
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        void busy(async () => applyAuth(await send({ type: 'auth.signIn', email: email.value.trim(), password: password.value })));
      },
    },
    el('label', {}, 'Email', email),
    el('label', {}, 'Password', password),
    el('button', { class: 'primary', type: 'submit', disabled: view.busy }, view.busy ? 'Signing in…' : 'Sign in'),
  );
  const nodes: Node[] = [el('h1', {}, 'Sign in to clip videos'), el('p', { class: 'muted' }, 'Use your Clipforge account.')];
  if (view.auth?.expired) nodes.push(el('div', { class: 'banner warn', role: 'status' }, 'Your session expired. Please sign in again.'));
  if (view.error) nodes.push(el('div', { class: 'banner error', role: 'alert' }, view.error));
  nodes.push(form);
  if (view.auth?.hostedUi) {
    nodes.push(
      el('div', { class: 'divider' }, 'or'),
      el(
        'button',
        { class: 'secondary', type: 'button', disabled: view.busy, onclick: () => void busy(async () => applyAuth(await send({ type: 'auth.hostedUi' }))) },
        'Continue with Google or Facebook',
      ),
    );
  }
  const portal = view.auth?.portalUrl;
  if (portal) {
    nodes.push(
      el(
        'div',
        { class: 'footer' },
        el('a', { href: `${portal}/signup`, target: '_blank', rel: 'noopener' }, 'Create an account'),
        el('a', { href: `${portal}/forgot`, target: '_blank', rel: 'noopener' }, 'Forgot password?'),
      ),
    );
  }
  return nodes;
}

function renderMfa(): Node[] {
  const code = el('input', {
    type: 'text',
    name: 'code',
    class: 'code',
    inputmode: 'numeric',
    autocomplete: 'one-time-code',
    pattern: '\\d{6}',
    maxlength: 6,
    required: true,
    'aria-label': 'Authentication code',
  });
  setTimeout(() => code.focus(), 0);
  return [
    el('h1', {}, 'Two-step verification'),
    el('p', { class: 'muted' }, 'Enter the 6-digit code from your authenticator app.'),
    ...(view.error ? [el('div', { class: 'banner error', role: 'alert' }, view.error)] : []),
    el(
      'form',
      {
        onsubmit: (ev: Event) => {
          ev.preventDefault();
          void busy(async () => applyAuth(await send({ type: 'auth.mfa', code: code.value.trim() })));
        },
      },
      code,
      el('button', { class: 'primary', type: 'submit', disabled: view.busy }, view.busy ? 'Verifying…' : 'Verify'),
    ),
  ];
}

function renderVideos(): Node[] {
  const nodes: Node[] = [el('h2', {}, 'Video')];
  if (view.scanError) return [...nodes, el('div', { class: 'banner info' }, view.scanError)];
  const videos = view.scan?.videos ?? [];
  if (videos.length === 0) {
    return [...nodes, el('div', { class: 'banner info' }, 'No playable video found on this page. Start the video, then reopen Clipforge.')];
  }
  const list = el('div', { class: 'videos', role: 'radiogroup', 'aria-label': 'Videos on this page' });
  for (const v of videos) {
    const host = new URL(v.url).host;
    const meta = [v.kind === 'page' ? `${view.scan?.site ?? 'Page'} link` : host];
    if (v.currentTime !== null) meta.push(`at ${formatDuration(v.currentTime)}`);
    if (v.duration !== null) meta.push(`of ${formatDuration(v.duration)}`);
    list.append(
      el(
        'label',
        { class: 'video', 'data-testid': 'video' },
        el('input', {
          type: 'radio',
          name: 'video',
          value: v.id,
          checked: v.id === view.selected,
          onchange: () => {
            view.selected = v.id;
            resetQuote();
            render();
          },
        }),
        el('span', { class: 'title', title: v.url }, v.title),
        el('span', { class: 'meta' }, meta.join(' · ')),
      ),
    );
  }
  nodes.push(list);
  return nodes;
}

function renderOptions(): Node[] {
  const v = selectedVideo();
  const around = v ? rangeAround(v.currentTime, v.duration) : null;
  const choice = (value: boolean, label: string, disabled = false) =>
    el(
      'label',
      { class: 'choice' },
      el('input', {
        type: 'radio',
        name: 'range',
        checked: view.useRange === value,
        disabled,
        onchange: () => {
          view.useRange = value;
          resetQuote();
          render();
        },
      }),
      label,
    );
  const aspect = el('div', { class: 'segmented', role: 'radiogroup', 'aria-label': 'Aspect' });
  for (const [value, label] of [
    ['9:16', '9:16'],
    ['1:1', '1:1'],
    ['source', 'Original'],
  ] as const) {
    aspect.append(
      el(
        'label',
        {},
        el('input', {
          type: 'radio',
          name: 'aspect',
          value,
          checked: view.options.aspect === value,
          onchange: () => {
            view.options = { ...view.options, aspect: value };
            void savePrefs();
            render();
          },
        }),
        label,
      ),
    );
  }
  const count = el(
    'select',
    {
      name: 'clipCount',
      onchange: (ev: Event) => {
        view.options = { ...view.options, clipCount: Number((ev.target as HTMLSelectElement).value) };
        void savePrefs();
      },
    },
    ...[1, 2, 3, 4, 5, 6, 8, 10].filter((n) => n <= (view.account?.maxClips ?? 10)).map((n) => el('option', { value: String(n), selected: n === view.options.clipCount }, `${n} clip${n > 1 ? 's' : ''}`)),
  );
  return [
    el('h2', {}, 'Range'),
    el(
      'div',
      { class: 'choices' },
      choice(false, 'Whole video'),
      choice(true, around ? `10 minutes around now (${formatDuration(around.startSeconds)}–${formatDuration(around.endSeconds)})` : '10 minutes around now', !around),
    ),
    el('h2', {}, 'Options'),
    el('div', { class: 'row' }, el('label', {}, 'Clips', count), el('label', {}, 'Aspect', aspect)),
    el(
      'label',
      { class: 'choice', style: 'margin-top:8px' },
      el('input', {
        type: 'checkbox',
        name: 'captions',
        checked: view.options.captions,
        onchange: (ev: Event) => {
          view.options = { ...view.options, captions: (ev.target as HTMLInputElement).checked };
          void savePrefs();
        },
      }),
      'Burn in captions',
    ),
  ];
}

function renderQuote(): Node[] {
  const q = view.quote;
  const v = selectedVideo();
  if (!v) return [];
  if (!q || view.quoteFor !== v.url) {
    return [
      el(
        'div',
        { class: 'actions' },
        el(
          'button',
          {
            class: 'primary',
            type: 'button',
            disabled: view.busy,
            onclick: () =>
              void busy(async () => {
                const range = currentRange();
                view.quote = await send({ type: 'jobs.quote', url: v.url, ...(range ? { range } : {}) });
                view.quoteFor = v.url;
                view.idempotencyKey = crypto.randomUUID();
              }),
          },
          view.busy ? 'Checking the video…' : 'Get credit quote',
        ),
      ),
    ];
  }
  const card = el(
    'div',
    { class: 'card', 'data-testid': 'quote' },
    el(
      'div',
      { class: 'quote' },
      el('div', {}, el('strong', {}, formatDuration(q.durationSeconds)), el('span', {}, 'duration')),
      el('div', {}, el('strong', { 'data-testid': 'quote-credits' }, String(q.credits)), el('span', {}, q.credits === 1 ? 'credit' : 'credits')),
      el('div', {}, el('strong', {}, q.balance === null ? '—' : String(q.balance)), el('span', {}, 'balance')),
    ),
  );
  if (view.useRange) card.append(el('p', { class: 'small muted' }, 'Only the chosen range is transcribed, searched for clips and billed.'));
  if (!q.affordable) {
    card.append(
      el('div', { class: 'banner warn', role: 'status' }, 'This video needs more credits than you have. ', el('a', { href: q.upgradeUrl, target: '_blank', rel: 'noopener' }, 'Upgrade or buy credits')),
    );
  } else {
    card.append(
      el(
        'button',
        {
          class: 'primary',
          type: 'button',
          disabled: view.busy,
          onclick: () =>
            void busy(async () => {
              const range = currentRange();
              view.job = await send({
                type: 'jobs.create',
                url: v.url,
                ...(range ? { range } : {}),
                options: view.options,
                idempotencyKey: view.idempotencyKey ?? crypto.randomUUID(),
              });
              resetQuote();
              view.account = await send({ type: 'account.get' }).catch(() => view.account);
            }),
        },
        view.busy ? 'Starting…' : `Confirm — use ${q.credits} credit${q.credits === 1 ? '' : 's'}`,
      ),
      el('button', { class: 'link small', type: 'button', style: 'margin-top:8px', onclick: () => (resetQuote(), render()) }, 'Cancel'),
    );
  }
  return [card];
}

function renderJob(job: TrackedJob): Node[] {
  const done = job.status === 'succeeded';
  const failed = job.status === 'failed' || job.status === 'cancelled';
  const nodes: Node[] = [
    el('h1', {}, done ? 'Your clips are ready' : failed ? 'The job did not finish' : 'Making your clips…'),
    el(
      'div',
      { class: 'card', 'data-testid': 'job' },
      el(
        'div',
        { class: 'status' },
        el('span', {}, el('strong', { 'data-testid': 'job-status' }, job.status), job.stage && !done ? ` · ${stageLabel(job.stage)}` : ''),
        el('span', {}, `${Math.round(job.progress)}%`),
      ),
      el('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(Math.round(job.progress)) }, el('div', { style: `width:${Math.max(3, job.progress)}%` })),
      done || failed
        ? el('div', { class: 'small muted' }, done ? `${job.clips.length} clip${job.clips.length === 1 ? '' : 's'} made` : 'No clips were made.')
        : el('div', { class: 'small muted' }, job.transport === 'websocket' ? 'Live updates' : job.transport === 'polling' ? 'Updating every few seconds' : 'Connecting…'),
    ),
  ];
  if (job.error) nodes.push(el('div', { class: 'banner error', role: 'alert' }, `${job.error.message} Reserved credits are refunded.`));
  if (job.clips.length > 0) {
    const list = el('ul', { class: 'clips', 'data-testid': 'clips' });
    for (const c of job.clips) {
      list.append(
        el(
          'li',
          { class: 'clip' },
          c.thumbnailUrl ? el('img', { class: 'thumb', src: c.thumbnailUrl, alt: '' }) : el('div', { class: 'thumb' }, '▶'),
          el(
            'div',
            {},
            el('a', { href: c.portalUrl, target: '_blank', rel: 'noopener', 'data-testid': 'clip-link' }, c.title),
            el('div', { class: 'meta' }, `${formatDuration(c.start)}–${formatDuration(c.end)} · ${formatDuration(c.end - c.start)}`),
          ),
        ),
      );
    }
    nodes.push(el('h2', {}, `Clips (${job.clips.length})`), list);
  } else if (!failed) {
    nodes.push(el('p', { class: 'small muted', style: 'margin-top:10px' }, 'Clips appear here as soon as each one is rendered.'));
  }
  nodes.push(
    el(
      'div',
      { class: 'footer' },
      el('a', { href: job.portalUrl, target: '_blank', rel: 'noopener' }, 'Open in the portal'),
      done || failed
        ? el(
            'button',
            {
              class: 'link',
              type: 'button',
              onclick: () => {
                view.job = null;
                render();
              },
            },
            'Clip another video',
          )
        : el('span', { class: 'muted' }, 'You can close this popup.'),
    ),
  );
  return nodes;
}

function renderMain(): Node[] {
  if (view.job) return renderJob(view.job);
  const nodes: Node[] = [];
  if (view.error) nodes.push(el('div', { class: 'banner error', role: 'alert' }, view.error));
  if (view.account?.low) {
    nodes.push(
      el(
        'div',
        { class: 'banner warn', 'data-testid': 'low-credits' },
        `You have ${view.account.credits} credit${view.account.credits === 1 ? '' : 's'} left. `,
        el('a', { href: view.account.upgradeUrl, target: '_blank', rel: 'noopener' }, 'Upgrade your plan'),
      ),
    );
  }
  nodes.push(...renderVideos());
  if (selectedVideo()) nodes.push(...renderOptions(), ...renderQuote());
  return nodes;
}

function render() {
  renderAccount();
  const auth = view.auth;
  let nodes: Node[];
  if (!auth) nodes = [el('p', { class: 'muted center' }, view.error ?? 'Loading…')];
  else if (auth.status === 'signedOut') nodes = renderSignIn();
  else if (auth.status === 'mfaRequired') nodes = renderMfa();
  else nodes = renderMain();
  const focused = document.activeElement instanceof HTMLInputElement ? document.activeElement.name : null;
  const values = new Map([...app.querySelectorAll('input')].filter((i) => i.type !== 'radio' && i.type !== 'checkbox').map((i) => [i.name, i.value]));
  app.replaceChildren(...nodes);
  for (const input of app.querySelectorAll('input')) {
    const kept = values.get(input.name);
    if (kept !== undefined && input.type !== 'password') input.value = kept;
    if (focused && input.name === focused) input.focus();
  }
}

async function applyAuth(state: AuthState) {
  view.auth = state;
  view.error = null;
  if (state.status === 'signedIn') await loadSignedIn();
  else {
    view.account = null;
    view.job = null;
  }
}

browser.runtime.onMessage.addListener((message: unknown, sender: { id?: string }) => {
  if (sender.id !== browser.runtime.id) return undefined;
  const parsed = extensionEventSchema.safeParse(message);
  if (!parsed.success) return undefined;
  const event = parsed.data;
  if (event.type === 'event.job' && (!view.job || view.job.jobId === event.job.jobId)) {
    view.job = event.job;
    render();
  } else if (event.type === 'event.auth' && event.state.status !== view.auth?.status) {
    void applyAuth(event.state).then(render);
  }
  return undefined;
});

void (async () => {
  try {
    const prefs = clipOptionsSchema.partial().safeParse((await browser.storage.local.get(PREFS_KEY))[PREFS_KEY]);
    view.options = { ...DEFAULT_OPTIONS, ...(prefs.success ? prefs.data : {}) };
    await loadAuth();
  } catch (e) {
    setError(e);
    render();
  }
})();
