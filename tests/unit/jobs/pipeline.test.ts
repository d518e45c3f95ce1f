import { describe, it, expect, beforeEach } from '@jest/globals';
import type { JobEvent } from '../../../lib/contracts/job-events.ts';
import { coordinate } from '../../../lib/jobs/coordinator.ts';
import { runStage } from '../../../lib/jobs/runner.ts';
import { NO_TRANSCRIPT_NOTICE } from '../../../lib/jobs/stages/index.ts';
import { createJob, cancelJob } from '../../../lib/jobs/api.ts';
import { handleDeadLetter, sweepStuckJobs } from '../../../lib/jobs/failures.ts';
import { MediaError } from '../../../lib/media/errors.ts';
import { jobCreateBody } from './helpers.ts';
import { makeDeps, type TestDeps } from './fakes.ts';

/**
 * The orchestration end to end in memory: the fake bus delivers every published event to the
 * coordinator or the stage it is meant for, like the SNS filter policies do, until nothing is left.
 */
const USER = 'user-1';

/**
 * Stage consumers run behind Powertools idempotency keyed on eventId (lib/jobs/runtime.ts; covered
 * by the integration tests against DynamoDB Local). Here the same contract is mimicked: a copy
 * that arrives while the first runs waits for it, a later copy gets the stored result.
 */
let stageRuns = new Map<string, Promise<string>>();

async function deliver(event: JobEvent, deps: TestDeps): Promise<string> {
  if (event.type === 'stage.requested') {
    if (!stageRuns.has(event.eventId)) {
      const run = runStage(event, deps).then((r) => r.status);
      stageRuns.set(event.eventId, run);
      run.catch(() => stageRuns.delete(event.eventId)); // a failed run leaves no record: it may be retried
    }
    return stageRuns.get(event.eventId)!;
  }
  if (['job.requested', 'stage.completed', 'stage.failed', 'job.cancelled'].includes(event.type)) return coordinate(event, deps);
  return 'notifier only';
}

/** Delivers published events in order (each one possibly twice) until the bus is drained. */
async function drain(deps: TestDeps, opts: { duplicate?: boolean; stopWhen?: (e: JobEvent) => boolean } = {}) {
  let cursor = 0;
  while (cursor < deps.events.published.length) {
    const event = deps.events.published[cursor++]!;
    if (opts.stopWhen?.(event)) return event;
    if (opts.duplicate) await Promise.all([deliver(event, deps), deliver(event, deps)]);
    else await deliver(event, deps);
    if (opts.duplicate) await deliver(event, deps);
  }
  return undefined;
}

let deps: TestDeps;
beforeEach(() => {
  stageRuns = new Map();
  deps = makeDeps();
  deps.billing.balances.set(USER, 10);
});

async function submit(options: Record<string, unknown> = {}) {
  return createJob(USER, jobCreateBody(options), undefined, deps);
}

describe('pipeline orchestration (in memory)', () => {
  it('runs a job from submission to succeeded clips, settling the credits', async () => {
    const { jobId, creditsReserved } = await submit();
    expect(creditsReserved).toBe(2);
    await drain(deps);
    const job = await deps.store.get(USER, jobId);
    expect(job).toMatchObject({ status: 'succeeded', progress: 100, clipCount: 3, clipsDone: 3, creditsCharged: 2, transcriptSource: 'whisper' });
    for (const s of ['download', 'probe', 'audio', 'transcribe', 'select', 'render', 'finalize']) expect(job?.stages[s]?.status).toBe('succeeded');
    const clips = await deps.store.listClips(jobId);
    expect(clips.map((c) => [c.clipId, c.status])).toEqual([['c01', 'ready'], ['c02', 'ready'], ['c03', 'ready']]);
    expect(deps.billing.holds.get(jobId)).toMatchObject({ status: 'settled', charged: 2 });
    expect(deps.billing.balances.get(USER)).toBe(8);
    const clipReady = deps.events.ofType('stage.completed').filter((e) => e.stage === 'render');
    expect(clipReady).toHaveLength(3);
    expect(clipReady[0]?.output.clip).toMatchObject({ id: 'c01', start: 0, end: 20, title: 'First', reason: 'opens strong', score: 90, transcript: 'First idea.' });
    const finished = deps.events.ofType('job.finished');
    expect(finished).toHaveLength(1);
    expect(finished[0]).toMatchObject({ status: 'succeeded', creditsCharged: 2 });
    const progress = deps.events.ofType('job.progress').map((e) => e.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(100);
    expect(deps.storage.objects.has(`clips/${jobId}/manifest.json`)).toBe(true);
  });

  it('a ranged job transcribes, selects and bills only its range; times stay in source time', async () => {
    deps.media.info = { ...deps.media.info, durationSeconds: 3600 };
    deps.billing.balances.set(USER, 20);
    const url = 'https://media.example.com/stream.mp4';
    const { jobId, creditsReserved } = await createJob(USER, jobCreateBody({}, { url, range: { startSeconds: 1200, endSeconds: 1800 } }), undefined, deps);
    expect(creditsReserved).toBe(10); // 10 minutes, not 60
    await drain(deps);
    const job = await deps.store.get(USER, jobId);
    expect(job).toMatchObject({ status: 'succeeded', durationSeconds: 600, creditsCharged: 10, source: { range: { startSeconds: 1200, endSeconds: 1800 } } });
    expect(deps.media.audioSpans).toEqual([{ startSeconds: 1200, endSeconds: 1800 }]);
    // The selector sees range time (0 = range start) and the range's length…
    const [input] = deps.ai.selectInputs;
    expect(input?.opts.durationSeconds).toBe(600);
    expect(input?.transcript.segments[0]).toMatchObject({ start: 0, end: 20, text: 'First idea.' });
    // …and the stored transcript and the clips are in source time.
    const stored = JSON.parse(String(deps.storage.objects.get(`sources/${jobId}/transcript.json`))) as { segments: { start: number }[] };
    expect(stored.segments.map((s) => s.start)).toEqual([1200, 1220, 1245]);
    expect((await deps.store.listClips(jobId)).map((c) => [c.start, c.end])).toEqual([[1200, 1220], [1220, 1245], [1245, 1290]]);
    expect(deps.billing.balances.get(USER)).toBe(10);
  });

  it('a range past the end of the video is clamped; one outside it is refused with 400', async () => {
    deps.media.info = { ...deps.media.info, durationSeconds: 600 };
    const clamped = await createJob(USER, jobCreateBody({}, { url: 'https://media.example.com/a.mp4', range: { startSeconds: 480, endSeconds: 1080 } }), undefined, deps);
    expect(clamped.creditsReserved).toBe(2);
    expect((await deps.store.get(USER, clamped.jobId))?.source.range).toEqual({ startSeconds: 480, endSeconds: 600 });
    await expect(createJob(USER, jobCreateBody({}, { url: 'https://media.example.com/a.mp4', range: { startSeconds: 700, endSeconds: 900 } }), undefined, deps)).rejects.toMatchObject({
      status: 400,
      details: { 'range.startSeconds': [expect.stringContaining('choose a range inside the video')] },
    });
  });

  it('every event delivered twice (and in parallel) does the work once and charges once', async () => {
    const { jobId } = await submit();
    await drain(deps, { duplicate: true });
    const job = await deps.store.get(USER, jobId);
    expect(job).toMatchObject({ status: 'succeeded', clipsDone: 3, clipsFailed: 0, creditsCharged: 2 });
    expect(deps.ai.transcribeCalls).toBe(1);
    expect(deps.media.calls.filter((c) => c === 'downloadToS3')).toHaveLength(1);
    expect(deps.billing.balances.get(USER)).toBe(8);
    expect(new Set(deps.events.ofType('job.finished').map((e) => e.eventId)).size).toBe(1);
    expect(deps.events.ofType('stage.requested').filter((e) => e.stage === 'finalize').length).toBeGreaterThanOrEqual(1);
    expect(new Set(deps.events.ofType('stage.requested').filter((e) => e.stage === 'finalize').map((e) => e.eventId)).size).toBe(1);
  });

  it('a permanent media error fails the job at once with its code and refunds', async () => {
    const { jobId } = await submit();
    deps.media.failWith.downloadToS3 = new MediaError('SOURCE_NOT_FOUND', 'The source was not found (HTTP 404)');
    await drain(deps);
    const job = await deps.store.get(USER, jobId);
    expect(job).toMatchObject({ status: 'failed', stage: 'download', error: { code: 'SOURCE_NOT_FOUND' }, creditsCharged: 0 });
    expect(deps.billing.holds.get(jobId)?.status).toBe('refunded');
    expect(deps.billing.balances.get(USER)).toBe(10);
    expect(deps.events.ofType('job.finished')[0]).toMatchObject({ status: 'failed', error: { code: 'SOURCE_NOT_FOUND' } });
    expect(deps.media.calls).not.toContain('probe');
  });

  it('a video longer than the tier allows fails at probe with VIDEO_TOO_LONG', async () => {
    const { jobId } = await submit();
    deps.media.info = { ...deps.media.info, durationSeconds: 3600 };
    await drain(deps);
    expect(await deps.store.get(USER, jobId)).toMatchObject({ status: 'failed', error: { code: 'VIDEO_TOO_LONG' } });
    expect(deps.billing.balances.get(USER)).toBe(10);
  });

  it('a transient error is rethrown for an SQS retry; the retry succeeds', async () => {
    const { jobId } = await submit();
    deps.media.failWith.extractAudio = new Error('ECONNRESET');
    const failing = await drain(deps, { stopWhen: (e) => e.type === 'stage.requested' && e.stage === 'audio' });
    expect(failing).toBeDefined();
    await expect(deliver(failing as JobEvent, deps)).rejects.toThrow('ECONNRESET');
    delete deps.media.failWith.extractAudio;
    expect(await deliver(failing as JobEvent, deps)).toBe('completed');
    await drain(deps);
    expect(await deps.store.get(USER, jobId)).toMatchObject({ status: 'succeeded' });
    expect((await deps.store.get(USER, jobId))?.stages.audio?.attempts).toBe(2);
  });

  it('without captions or a transcription provider the job still yields clips and says why there is no transcript', async () => {
    deps.ai.available = false;
    const { jobId } = await submit();
    await drain(deps);
    const job = await deps.store.get(USER, jobId);
    expect(job).toMatchObject({ status: 'succeeded', transcriptSource: 'none', notices: [NO_TRANSCRIPT_NOTICE] });
    expect(NO_TRANSCRIPT_NOTICE).toContain('OPENAI_API_KEY');
    expect(deps.ai.transcribeCalls).toBe(0);
    expect(deps.media.calls).toContain('detectSilences');
  });

  it('an embedded captions track is used before Whisper', async () => {
    deps.media.info = { ...deps.media.info, subtitleStreams: [{ index: 2, codec: 'mov_text', language: 'eng' }] };
    const { jobId } = await submit();
    await drain(deps);
    expect(await deps.store.get(USER, jobId)).toMatchObject({ status: 'succeeded', transcriptSource: 'captions' });
    expect(deps.ai.transcribeCalls).toBe(0);
  });

  it('one clip failing does not sink the job; every clip failing does', async () => {
    const { jobId } = await submit();
    let renders = 0;
    const render = deps.media.renderClip.bind(deps.media);
    deps.media.renderClip = async (o) => {
      renders += 1;
      if (renders === 2) throw new MediaError('CORRUPT_MEDIA', 'bad frames');
      return render(o);
    };
    await drain(deps);
    expect(await deps.store.get(USER, jobId)).toMatchObject({ status: 'succeeded', clipsDone: 2, clipsFailed: 1 });
    expect((await deps.store.listClips(jobId)).map((c) => c.status)).toEqual(['ready', 'failed', 'ready']);

    const second = await submit();
    deps.media.renderClip = async () => {
      throw new MediaError('CORRUPT_MEDIA', 'bad frames');
    };
    await drain(deps);
    expect(await deps.store.get(USER, second.jobId)).toMatchObject({ status: 'failed', error: { code: 'ALL_CLIPS_FAILED' } });
  });

  it('cancel mid-pipeline: refund at once, no stage runs after it, nothing is charged', async () => {
    const { jobId } = await submit();
    const pending = await drain(deps, { stopWhen: (e) => e.type === 'stage.requested' && e.stage === 'transcribe' });
    expect(pending).toBeDefined();
    const cancelled = await cancelJob(USER, jobId, deps);
    expect(cancelled.status).toBe('cancelled');
    expect(deps.billing.balances.get(USER)).toBe(10);
    const before = deps.events.published.length;
    expect(await runStage(pending as Extract<JobEvent, { type: 'stage.requested' }>, deps)).toMatchObject({ status: 'skipped', reason: 'job is cancelled' });
    await drain(deps);
    expect(deps.events.published.slice(before).filter((e) => e.type === 'stage.requested')).toHaveLength(0);
    expect(deps.ai.transcribeCalls).toBe(0);
    expect(await deps.store.get(USER, jobId)).toMatchObject({ status: 'cancelled', creditsCharged: 0 });
    expect(deps.events.ofType('job.finished')).toEqual([expect.objectContaining({ status: 'cancelled', creditsCharged: 0 })]);
    // Cancelling again is a no-op; the slot was released exactly once.
    expect((await cancelJob(USER, jobId, deps)).status).toBe('cancelled');
    expect(deps.store.slots.get(USER)).toBe(0);
  });

  it("a stage's output is parsed with its own schema before it is published: a broken one is retried, never announced", async () => {
    await submit();
    const pending = (await drain(deps, { stopWhen: (e) => e.type === 'stage.requested' && e.stage === 'audio' })) as Extract<JobEvent, { type: 'stage.requested' }>;
    const before = deps.events.ofType('stage.completed').length;
    // Not the audio stage's output shape (audioKey must be a non-empty string).
    const broken = async () => ({ output: { audioKey: '' } });
    await expect(runStage(pending, deps, broken)).rejects.toThrow(/audioKey/);
    expect(deps.events.ofType('stage.completed')).toHaveLength(before);
    // The real body, on the retry, publishes the parsed output.
    expect(await runStage(pending, deps)).toMatchObject({ status: 'completed', output: { audioKey: expect.stringMatching(/audio\.mp3$/) } });
  });

  it('a stage finishing after a cancel announces nothing', async () => {
    const { jobId } = await submit();
    const pending = (await drain(deps, { stopWhen: (e) => e.type === 'stage.requested' && e.stage === 'audio' })) as Extract<JobEvent, { type: 'stage.requested' }>;
    const extract = deps.media.extractAudio.bind(deps.media);
    deps.media.extractAudio = async (i, o) => {
      await cancelJob(USER, jobId, deps);
      return extract(i, o);
    };
    const before = deps.events.ofType('stage.completed').length;
    expect(await runStage(pending, deps)).toMatchObject({ status: 'skipped', reason: 'job became cancelled during audio' });
    expect(deps.events.ofType('stage.completed')).toHaveLength(before);
  });

  it('a dead-lettered event fails the job with DEAD_LETTER and refunds (once)', async () => {
    const { jobId } = await submit();
    const poison = (await drain(deps, { stopWhen: (e) => e.type === 'stage.requested' && e.stage === 'probe' })) as JobEvent;
    expect(await handleDeadLetter(poison, deps)).toBe('failed the job');
    expect(await deps.store.get(USER, jobId)).toMatchObject({ status: 'failed', error: { code: 'DEAD_LETTER' } });
    expect(deps.billing.balances.get(USER)).toBe(10);
    expect(await handleDeadLetter(poison, deps)).toBe('job already failed (refund ensured)');
    expect(deps.billing.balances.get(USER)).toBe(10);
  });

  it('the sweeper fails jobs stuck past their stage deadline, with a refund', async () => {
    const { jobId } = await submit();
    await drain(deps, { stopWhen: (e) => e.type === 'stage.requested' && e.stage === 'probe' });
    expect(await sweepStuckJobs(deps)).toEqual({ checked: 0, failed: [] });
    deps.clock.advance(120 * 7 + 1);
    expect(await sweepStuckJobs(deps)).toEqual({ checked: 1, failed: [jobId] });
    expect(await deps.store.get(USER, jobId)).toMatchObject({ status: 'failed', error: { code: 'STAGE_TIMEOUT' } });
    expect(deps.billing.balances.get(USER)).toBe(10);
    expect(await sweepStuckJobs(deps)).toEqual({ checked: 0, failed: [] });
  });

  it('a lost stage request is re-sent when the previous completion is redelivered', async () => {
    const { jobId } = await submit();
    const completion = (await drain(deps, { stopWhen: (e) => e.type === 'stage.requested' && e.stage === 'probe' })) as JobEvent;
    expect(completion).toBeDefined();
    const downloadDone = deps.events.ofType('stage.completed').find((e) => e.stage === 'download')!;
    const probeRequests = () => deps.events.ofType('stage.requested').filter((e) => e.stage === 'probe');
    expect(probeRequests()).toHaveLength(1);
    expect(await coordinate(downloadDone, deps)).toContain('re-requesting probe');
    expect(probeRequests()).toHaveLength(2);
    expect(probeRequests()[0]?.eventId).toBe(probeRequests()[1]?.eventId);
    await drain(deps);
    expect(await deps.store.get(USER, jobId)).toMatchObject({ status: 'succeeded' });
  });
});
