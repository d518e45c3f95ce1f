import { serverMessageSchema } from '../../lib/contracts/realtime.ts';
import { TERMINAL_STATUSES, type ClipView, type JobStatus, type JobView } from '../../lib/contracts/jobs.ts';
import { trackedJobSchema, type TrackedClip, type TrackedJob } from '../../lib/contracts/extension-messages.ts';
import type { Api } from './api.ts';
import type { AlarmsPort, Clock, StorageAreaPort } from './ports.ts';

export const JOB_KEY = 'cf.job';
export const JOB_ALARM = 'clipforge.job';
const POLL_MS = 3_000;
const PING_MS = 20_000;

export interface SocketLike {
  readyState: number;
  onopen: ((ev: Event) => void) | null;
  onmessage: ((ev: MessageEvent) => void) | null;
  onerror: ((ev: Event) => void) | null;
  onclose: ((ev: CloseEvent) => void) | null;
  send(data: string): void;
  close(): void;
}
export type SocketFactory = (url: string) => SocketLike;

export function isTerminal(status: string): boolean {
  return (TERMINAL_STATUSES as readonly string[]).includes(status as JobStatus);
}

export function jobPortalUrl(portalUrl: string, jobId: string): string {
  return `${portalUrl}/jobs/${encodeURIComponent(jobId)}`;
}

export function toTrackedClip(portalUrl: string, jobId: string, clip: Pick<ClipView, 'id' | 'title' | 'start' | 'end'> & { thumbnailUrl?: string | null }): TrackedClip {
  return {
    id: clip.id,
    title: clip.title || 'Untitled clip',
    start: clip.start,
    end: clip.end,
    portalUrl: `${jobPortalUrl(portalUrl, jobId)}#clip-${encodeURIComponent(clip.id)}`,
    thumbnailUrl: clip.thumbnailUrl ?? null,
  };
}

function mergeClips(existing: TrackedClip[], incoming: TrackedClip[]): TrackedClip[] {
  const byId = new Map(existing.map((c) => [c.id, c]));
  for (const c of incoming) byId.set(c.id, { ...byId.get(c.id), ...c, thumbnailUrl: c.thumbnailUrl ?? byId.get(c.id)?.thumbnailUrl ?? null });
  return [...byId.values()].sort((a, b) => a.start - b.start);
}

/**
 * Follows the current job: WebSocket pushes when the stage has a WebSocket API (job.updated,
 * clip.ready, job.finished), polling GET /jobs/{id} otherwise or when the socket fails. State is
 * kept in storage.session so a restarted service worker (or a reopened popup) picks it up;
 * an alarm wakes the worker to resume following a job that is still running.
 */
export class JobTracker {
  readonly #api: Api;
  readonly #session: StorageAreaPort;
  readonly #alarms: AlarmsPort;
  readonly #portalUrl: string;
  readonly #wsUrl: string | undefined;
  readonly #socketFactory: SocketFactory | undefined;
  readonly #accessToken: () => Promise<string>;
  readonly #publish: (job: TrackedJob) => void;
  readonly #now: Clock;
  #socket: SocketLike | null = null;
  #pollTimer: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #following: string | null = null;
  #lastSeq = new Map<string, number>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: {
    api: Api;
    session: StorageAreaPort;
    alarms: AlarmsPort;
    portalUrl: string;
    wsUrl?: string;
    socketFactory?: SocketFactory;
    accessToken: () => Promise<string>;
    publish: (job: TrackedJob) => void;
    now?: Clock;
  }) {
    this.#api = options.api;
    this.#session = options.session;
    this.#alarms = options.alarms;
    this.#portalUrl = options.portalUrl;
    this.#wsUrl = options.wsUrl;
    this.#socketFactory = options.socketFactory;
    this.#accessToken = options.accessToken;
    this.#publish = options.publish;
    this.#now = options.now ?? Date.now;
  }

  async current(): Promise<TrackedJob | null> {
    const parsed = trackedJobSchema.safeParse((await this.#session.get(JOB_KEY))[JOB_KEY]);
    return parsed.success ? parsed.data : null;
  }

  async #save(job: TrackedJob): Promise<TrackedJob> {
    await this.#session.set({ [JOB_KEY]: job });
    this.#publish(job);
    return job;
  }

  /** Read-modify-write of the stored job, one at a time (pushes and HTTP answers interleave). */
  #update(jobId: string, patch: (job: TrackedJob) => TrackedJob): Promise<TrackedJob | null> {
    const run = this.#queue.then(async () => {
      const job = await this.current();
      if (!job || job.jobId !== jobId) return null;
      return this.#save({ ...patch(job), updatedAt: new Date(this.#now()).toISOString() });
    });
    this.#queue = run.catch(() => null);
    return run;
  }

  /** Start following a job that was just created. */
  async start(jobId: string, status: string): Promise<TrackedJob> {
    this.stop();
    const job = await this.#save({
      jobId,
      status,
      stage: null,
      progress: 0,
      clips: [],
      error: null,
      portalUrl: jobPortalUrl(this.#portalUrl, jobId),
      transport: 'none',
      updatedAt: new Date(this.#now()).toISOString(),
    });
    await this.follow(jobId);
    return (await this.current()) ?? job;
  }

  /** (Re)attach to the stored job if it is still running: at worker start and on the alarm. */
  async resume(): Promise<void> {
    const job = await this.current();
    if (!job || isTerminal(job.status)) {
      await this.#alarms.clear(JOB_ALARM);
      return;
    }
    if (this.#following === job.jobId && (this.#socket || this.#pollTimer)) return;
    await this.follow(job.jobId);
  }

  async follow(jobId: string): Promise<void> {
    this.#following = jobId;
    await this.#alarms.create(JOB_ALARM, { periodInMinutes: 0.5 });
    await this.refresh(jobId);
    const job = await this.current();
    if (!job || isTerminal(job.status)) return this.stop();
    if (this.#wsUrl && this.#socketFactory && (await this.#openSocket(jobId))) return;
    this.#schedulePoll(jobId);
  }

  stop(): void {
    this.#following = null;
    clearTimeout(this.#pollTimer);
    clearInterval(this.#pingTimer);
    this.#pollTimer = undefined;
    this.#pingTimer = undefined;
    const socket = this.#socket;
    this.#socket = null;
    if (socket) {
      socket.onclose = null;
      socket.onerror = null;
      socket.onmessage = null;
      try {
        socket.close();
      } catch {
        // already closed
      }
    }
    void this.#alarms.clear(JOB_ALARM);
  }

  /** Fetch the job (and its ready clips) over HTTP and store the result. */
  async refresh(jobId: string): Promise<TrackedJob | null> {
    const view = await this.#api.job(jobId);
    const previous = await this.current();
    let clips: TrackedClip[] = previous?.jobId === jobId ? previous.clips : [];
    if (view.clipsReady > clips.filter((c) => c.thumbnailUrl !== null).length || (isTerminal(view.status) && view.clipsReady > 0)) {
      const list = await this.#api.clips(jobId);
      clips = mergeClips(clips, list.items.filter((c) => c.status === 'ready').map((c) => toTrackedClip(this.#portalUrl, jobId, c)));
    }
    return this.#update(jobId, (job) => ({ ...job, ...merge(job, view), clips: mergeClips(job.clips, clips) }));
  }

  #schedulePoll(jobId: string): void {
    clearTimeout(this.#pollTimer);
    void this.#update(jobId, (job) => ({ ...job, transport: 'polling' }));
    this.#pollTimer = setTimeout(() => {
      this.#pollTimer = undefined;
      if (this.#following !== jobId) return;
      this.refresh(jobId)
        .then((job) => {
          if (job && !isTerminal(job.status) && this.#following === jobId && !this.#socket) this.#schedulePoll(jobId);
          if (job && isTerminal(job.status)) this.stop();
        })
        .catch(() => {
          if (this.#following === jobId) this.#schedulePoll(jobId);
        });
    }, POLL_MS);
  }

  async #openSocket(jobId: string): Promise<boolean> {
    const factory = this.#socketFactory;
    if (!factory || !this.#wsUrl) return false;
    let token: string;
    try {
      token = await this.#accessToken();
    } catch {
      return false;
    }
    const url = `${this.#wsUrl}${this.#wsUrl.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
    let socket: SocketLike;
    try {
      socket = factory(url);
    } catch {
      return false;
    }
    this.#socket = socket;
    const fallBack = () => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      clearInterval(this.#pingTimer);
      if (this.#following === jobId) this.#schedulePoll(jobId);
    };
    socket.onopen = () => {
      socket.send(JSON.stringify({ action: 'subscribe', jobId }));
      void this.#update(jobId, (job) => ({ ...job, transport: 'websocket' }));
      // Keeps the socket (and the MV3 service worker, Chrome 116+) alive while the job runs.
      this.#pingTimer = setInterval(() => socket.send(JSON.stringify({ action: 'ping' })), PING_MS);
      // Catch up on anything that happened between creating the job and subscribing.
      void this.refresh(jobId).catch(() => {});
    };
    socket.onerror = fallBack; // a refused upgrade fires error and never close (see LOCAL-STACK.md)
    socket.onclose = fallBack;
    socket.onmessage = (ev) => void this.#onSocketMessage(jobId, ev.data);
    return true;
  }

  async #onSocketMessage(jobId: string, data: unknown): Promise<void> {
    let json: unknown;
    try {
      json = JSON.parse(String(data));
    } catch {
      return;
    }
    const parsed = serverMessageSchema.safeParse(json);
    if (!parsed.success) return;
    const msg = parsed.data;
    if (!('jobId' in msg) || msg.jobId !== jobId || !('seq' in msg)) return;
    const last = this.#lastSeq.get(jobId) ?? 0;
    if (msg.seq <= last && msg.type !== 'clip.ready') return;
    const gap = msg.seq > last + 1 && last > 0;
    this.#lastSeq.set(jobId, Math.max(last, msg.seq));
    if (msg.type === 'job.updated') {
      await this.#update(jobId, (job) => ({
        ...job,
        status: msg.status,
        stage: msg.stage,
        progress: msg.progress ?? job.progress,
      }));
    } else if (msg.type === 'clip.ready') {
      const clip = toTrackedClip(this.#portalUrl, jobId, msg.clip);
      await this.#update(jobId, (job) => ({ ...job, clips: mergeClips(job.clips, [clip]) }));
      // Thumbnails come with the clip list (short-lived URLs).
      void this.refresh(jobId).catch(() => {});
    } else if (msg.type === 'job.finished') {
      await this.refresh(jobId).catch(() =>
        this.#update(jobId, (job) => ({ ...job, status: msg.status, progress: 100, error: msg.error ?? null })),
      );
      this.stop();
      return;
    }
    if (gap) void this.refresh(jobId).catch(() => {});
  }
}

/**
 * An HTTP answer can be older than a push that arrived while it was in flight: a running job never
 * goes back to queued and its progress never goes down (terminal answers always win).
 */
function merge(job: TrackedJob, view: JobView): Pick<TrackedJob, 'status' | 'stage' | 'progress' | 'error'> {
  const fromView = { status: view.status, stage: view.stage, progress: view.progress, error: view.error };
  if (isTerminal(view.status)) return fromView;
  if (isTerminal(job.status)) return job;
  const backwards = view.progress < job.progress || (view.status === 'queued' && job.status === 'running');
  return backwards ? { status: job.status, stage: job.stage, progress: job.progress, error: job.error } : fromView;
}
