import { afterEach, describe, expect, it, jest } from '@jest/globals';
import type { Api } from '../../../extension/utils/api.ts';
import { JOB_ALARM, JOB_KEY, JobTracker, type SocketLike } from '../../../extension/utils/job-tracker.ts';
import type { ClipView, JobView } from '../../../lib/contracts/jobs.ts';
import type { TrackedJob } from '../../../lib/contracts/extension-messages.ts';
import { fakeBrowser } from './fake-browser.ts';

const AT = '2026-01-01T12:00:00.000Z';

function jobView(over: Partial<JobView>): JobView {
  return {
    jobId: 'job1',
    status: 'queued',
    stage: null,
    progress: 0,
    source: { kind: 'url', url: 'https://cdn.example/v.mp4' },
    options: { clipCount: 2, minSeconds: 15, maxSeconds: 60, aspect: '9:16', captions: true },
    durationSeconds: null,
    creditsReserved: 3,
    creditsCharged: null,
    clipCount: 0,
    clipsReady: 0,
    stages: {},
    error: null,
    notices: [],
    transcriptSource: null,
    selector: null,
    createdAt: AT,
    updatedAt: AT,
    finishedAt: null,
    seq: 1,
    ...over,
  };
}

function clip(id: string, start: number): ClipView {
  return {
    id,
    index: 0,
    status: 'ready',
    start,
    end: start + 20,
    durationSeconds: 20,
    title: `Clip ${id}`,
    reason: 'good',
    score: 0.9,
    transcript: 'hello',
    videoUrl: 'https://s3.example/v.mp4',
    thumbnailUrl: `https://s3.example/${id}.jpg`,
    captionsUrl: null,
    expiresAt: AT,
  };
}

class FakeSocket implements SocketLike {
  readyState = 0;
  onopen: ((ev: Event) => void) | null = null;
  onmessage: ((ev: MessageEvent) => void) | null = null;
  onerror: ((ev: Event) => void) | null = null;
  onclose: ((ev: CloseEvent) => void) | null = null;
  sent: unknown[] = [];
  closed = false;
  readonly url: string;
  constructor(url: string) {
    this.url = url;
  }
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.closed = true;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({} as Event);
  }
  push(message: object) {
    this.onmessage?.({ data: JSON.stringify(message) } as MessageEvent);
  }
}

function setup(opts: { ws: boolean }) {
  const browser = fakeBrowser();
  let current = jobView({});
  let clips: ClipView[] = [];
  const calls: string[] = [];
  const api = {
    job: async (id: string) => {
      calls.push(`job ${id}`);
      return current;
    },
    clips: async (id: string) => {
      calls.push(`clips ${id}`);
      return { jobId: id, status: current.status, items: clips };
    },
  } as unknown as Api;
  const sockets: FakeSocket[] = [];
  const published: TrackedJob[] = [];
  const tracker = new JobTracker({
    api,
    session: browser.storage.session,
    alarms: browser.alarms,
    portalUrl: 'https://app.example.com',
    ...(opts.ws ? { wsUrl: 'wss://ws.example.com/prod' } : {}),
    socketFactory: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    accessToken: async () => 'access-token-1',
    publish: (job) => published.push(job),
  });
  return {
    browser,
    tracker,
    sockets,
    published,
    calls,
    set: (v: Partial<JobView>, c?: ClipView[]) => {
      current = jobView({ ...current, ...v });
      if (c) clips = c;
    },
  };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

afterEach(() => {
  jest.useRealTimers();
});

describe('JobTracker over the WebSocket', () => {
  it('subscribes, follows job.updated and clip.ready, and stops on job.finished', async () => {
    const t = setup({ ws: true });
    await t.tracker.start('job1', 'queued');
    const socket = t.sockets[0];
    expect(socket?.url).toBe('wss://ws.example.com/prod?token=access-token-1');
    expect(t.browser.alarmsSet.has(JOB_ALARM)).toBe(true);
    socket?.open();
    expect(socket?.sent[0]).toEqual({ action: 'subscribe', jobId: 'job1' });

    socket?.push({ type: 'job.updated', v: 1, seq: 2, at: AT, jobId: 'job1', status: 'running', stage: 'transcribe', progress: 40 });
    await flush();
    expect(await t.tracker.current()).toMatchObject({ status: 'running', stage: 'transcribe', progress: 40, transport: 'websocket' });

    // another job's message on the same socket is ignored
    socket?.push({ type: 'job.updated', v: 1, seq: 3, at: AT, jobId: 'other', status: 'failed', stage: null, progress: 0 });
    // an old (lower seq) message is ignored
    socket?.push({ type: 'job.updated', v: 1, seq: 1, at: AT, jobId: 'job1', status: 'queued', stage: null, progress: 0 });
    await flush();
    expect(await t.tracker.current()).toMatchObject({ status: 'running', progress: 40 });

    t.set({ status: 'running', stage: 'render', progress: 80, clipsReady: 1 }, [clip('c1', 10)]);
    socket?.push({ type: 'clip.ready', v: 1, seq: 3, at: AT, jobId: 'job1', clip: { id: 'c1', start: 10, end: 30, title: 'Clip c1', reason: 'r', score: 1, transcript: 't' } });
    await flush();
    await flush();
    const withClip = await t.tracker.current();
    expect(withClip?.clips).toEqual([
      { id: 'c1', title: 'Clip c1', start: 10, end: 30, portalUrl: 'https://app.example.com/jobs/job1#clip-c1', thumbnailUrl: 'https://s3.example/c1.jpg' },
    ]);
    expect(t.published.some((j) => j.clips.length === 1)).toBe(true);

    t.set({ status: 'succeeded', stage: 'finalize', progress: 100, clipsReady: 2 }, [clip('c1', 10), clip('c2', 50)]);
    socket?.push({ type: 'job.finished', v: 1, seq: 5, at: AT, jobId: 'job1', status: 'succeeded', clips: 2, creditsCharged: 3 });
    await flush();
    await flush();
    expect(await t.tracker.current()).toMatchObject({ status: 'succeeded', progress: 100, clips: [{ id: 'c1' }, { id: 'c2' }] });
    expect(socket?.closed).toBe(true);
    expect(t.browser.alarmsSet.has(JOB_ALARM)).toBe(false);
  });

  it('falls back to polling when the socket is refused (error without close)', async () => {
    jest.useFakeTimers({ doNotFake: ['queueMicrotask', 'nextTick', 'setImmediate'] });
    const t = setup({ ws: true });
    await t.tracker.start('job1', 'queued');
    t.sockets[0]?.onerror?.({} as Event);
    t.set({ status: 'running', stage: 'download', progress: 10 });
    await jest.advanceTimersByTimeAsync(3_100);
    expect(await t.tracker.current()).toMatchObject({ status: 'running', stage: 'download', transport: 'polling' });
    t.set({ status: 'succeeded', stage: 'finalize', progress: 100, clipsReady: 1 }, [clip('c1', 5)]);
    await jest.advanceTimersByTimeAsync(3_100);
    expect(await t.tracker.current()).toMatchObject({ status: 'succeeded', clips: [{ id: 'c1' }] });
    const polls = t.calls.filter((c) => c.startsWith('job ')).length;
    await jest.advanceTimersByTimeAsync(10_000);
    expect(t.calls.filter((c) => c.startsWith('job ')).length).toBe(polls); // stopped
  });
});

describe('JobTracker after a service-worker restart', () => {
  it('resumes following a running job from storage.session', async () => {
    const t = setup({ ws: false });
    const stored: TrackedJob = {
      jobId: 'job1',
      status: 'running',
      stage: 'audio',
      progress: 30,
      clips: [],
      error: null,
      portalUrl: 'https://app.example.com/jobs/job1',
      transport: 'polling',
      updatedAt: AT,
    };
    await t.browser.storage.session.set({ [JOB_KEY]: stored });
    t.set({ status: 'running', stage: 'select', progress: 60 });
    await t.tracker.resume();
    expect(await t.tracker.current()).toMatchObject({ stage: 'select', progress: 60 });
    expect(t.browser.alarmsSet.get(JOB_ALARM)).toEqual({ periodInMinutes: 0.5 });
    t.tracker.stop();
  });

  it('does nothing for a finished job', async () => {
    const t = setup({ ws: false });
    await t.tracker.resume();
    expect(t.calls).toEqual([]);
  });
});
