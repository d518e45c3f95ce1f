import { describe, expect, test } from '@jest/globals';
import { applyJobMessage, initialLiveJob, needsCatchUp, shownJob, type JobMessage, type LiveJob, type RefetchReason } from '../../../web/app/lib/live-job.ts';

const at = '2026-11-26T04:20:00.000Z';
const jobId = 'job-1';
const updated = (seq: number, status: string, progress: number | null, stage: 'render' | 'finalize' | null = 'render'): JobMessage => ({ type: 'job.updated', v: 1, seq, at, jobId, status, stage, progress });
const clipReady = (seq: number, id: string): JobMessage => ({ type: 'clip.ready', v: 1, seq, at, jobId, clip: { id, start: 0, end: 10, title: id, reason: '', score: 0.9, transcript: '' } });
const finished = (seq: number, clips: number): JobMessage => ({ type: 'job.finished', v: 1, seq, at, jobId, status: 'succeeded', clips, creditsCharged: 1 });

/** Feeds messages in arrival order; returns the state and the re-fetch reasons. */
function feed(messages: JobMessage[], start: LiveJob = initialLiveJob()) {
  let state = start;
  const refetches: (RefetchReason | null)[] = [];
  for (const m of messages) {
    const r = applyJobMessage(state, m);
    state = r.state;
    refetches.push(r.refetch);
  }
  return { state, refetches };
}

// The loader's view when the page caught up last: clip 1 ready, clip 2 still rendering.
const stale = { status: 'running', stage: 'render', progress: 75, clipsReady: 1, clips: [{ id: 'c1', status: 'ready' }, { id: 'c2', status: 'rendering' }] };
const fresh = { status: 'succeeded', stage: 'finalize', progress: 100, clipsReady: 2, clips: [{ id: 'c1', status: 'ready' }, { id: 'c2', status: 'ready' }] };

describe('live job reducer (issue 7: "Succeeded · 1 of 2 clips ready", clip 2 "Rendering…")', () => {
  test('the reported case: the last messages arrive out of order on a fresh connection', () => {
    // The notifier numbers messages as it handles events (clip.ready 9, job.finished 10, then the
    // job.updated "succeeded" of the job.progress published after job.finished: 11); SQS delivers
    // them to the socket as 11, 9, 10. The old hook kept only the highest seq: it applied 11
    // (status succeeded, no re-fetch: not a clip, and no gap check on a first message) and dropped
    // 9 and 10 as "already seen" — the loader was never re-run.
    const { state, refetches } = feed([updated(11, 'succeeded', 100, 'finalize'), clipReady(9, 'c2'), finished(10, 2)]);
    expect(refetches).toEqual(['terminal', 'clip', 'finished']);
    expect(state).toMatchObject({ lastSeq: 11, status: 'succeeded', clipIds: ['c2'], finished: { status: 'succeeded', clips: 2 } });
    // Until the loader shows the finished job, the page keeps re-fetching and never shows
    // "succeeded" next to a rendering clip.
    expect(needsCatchUp(state, stale)).toBe(true);
    expect(shownJob(stale, state)).toEqual({ status: 'running', stage: 'render', progress: 99, catchingUp: true });
    expect(needsCatchUp(state, fresh)).toBe(false);
    expect(shownJob(fresh, state)).toEqual({ status: 'succeeded', stage: 'finalize', progress: 100, catchingUp: false });
  });

  test('clip.ready after job.finished (lower seq, arriving late) is kept, not dropped', () => {
    const { state, refetches } = feed([updated(7, 'running', 75), finished(9, 2), clipReady(8, 'c2')]);
    expect(refetches).toEqual(['first', 'finished', 'clip']);
    expect(state.clipIds).toEqual(['c2']);
    expect(state.status).toBe('succeeded');
  });

  test('redeliveries (same seq) change nothing and ask for nothing', () => {
    const first = feed([updated(3, 'running', 40), clipReady(4, 'c1')]).state;
    const again = applyJobMessage(first, clipReady(4, 'c1'));
    expect(again).toEqual({ state: first, refetch: null });
  });

  test('in-order progress needs no re-fetch; a gap, a late message and a terminal status do', () => {
    const { state, refetches } = feed([updated(2, 'running', 10), updated(3, 'running', 20), updated(5, 'running', 40), updated(4, 'running', 30)]);
    expect(refetches).toEqual(['first', null, 'gap', 'late']);
    expect(state.progress).toBe(40); // the late (older) update does not move progress back
    expect(applyJobMessage(state, updated(6, 'failed', null)).refetch).toBe('terminal');
  });

  test('nothing after job.finished overrides its status', () => {
    const { state } = feed([finished(10, 2), updated(12, 'running', 80)]);
    expect(state.status).toBe('succeeded');
  });

  test('a clip announced live but not ready in the loader keeps the page re-fetching', () => {
    const { state } = feed([updated(5, 'running', 60), clipReady(6, 'c2')]);
    expect(needsCatchUp(state, stale)).toBe(true);
    expect(needsCatchUp(state, { ...stale, clipsReady: 2, clips: [{ id: 'c1', status: 'ready' }, { id: 'c2', status: 'ready' }] })).toBe(false);
    // Live progress still moves the page between loads.
    expect(shownJob(stale, feed([updated(5, 'running', 85)]).state)).toEqual({ status: 'running', stage: 'render', progress: 85, catchingUp: false });
  });

  test('a terminal loader is final, whatever the socket said', () => {
    const failed = { ...stale, status: 'failed', progress: 100 };
    const { state } = feed([clipReady(6, 'c2')]);
    expect(needsCatchUp(state, failed)).toBe(false);
    expect(shownJob(failed, state)).toMatchObject({ status: 'failed', catchingUp: false });
  });
});
