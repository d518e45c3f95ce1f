import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { describe, it, expect, beforeAll } from '@jest/globals';
import type { Context } from 'aws-lambda';
import { makeSampleVideo } from '../../../scripts/make-sample-video.ts';
import { ffmpegPath, run, probe } from '../../../lib/media/ffmpeg.ts';
import { createTestUser, type TestUser } from '../../support/users.ts';
import { getAccount, reserveCredits } from '../../../lib/billing/index.ts';
import { dynamoJobStore } from '../../../lib/jobs/store.ts';
import { newJobId } from '../../../lib/db/job.ts';
import { publish } from '../../../lib/jobs/publisher.ts';
import { stageHandler } from '../../../lib/jobs/runtime.ts';
import { stageDeadline } from '../../../lib/jobs/deadlines.ts';
import { jobOptionsSchema } from '../../../lib/contracts/jobs.ts';
import { stageRequested, sqsRecordOf } from '../../factories/job-events.ts';
import { api, balanceOf, follow, isFinished, mediaPath, mediaUrl, waitFor, writeMedia, type JobBody } from './support.ts';

/**
 * The clip pipeline on the harness stack: HTTP API (serverless-offline) → SNS → SQS (fauxqs) →
 * stage Lambdas with real ffmpeg, DynamoDB Local, the OpenAI test double, the media server.
 */
const SOURCE = 'pipeline-talk.mp4';
let sourceUrl: string;
let durationSeconds: number;

beforeAll(async () => {
  const video = await makeSampleVideo({ outPath: mediaPath(SOURCE), seconds: 75, width: 640, height: 360, preset: 'ultrafast' });
  durationSeconds = video.durationSeconds;
  sourceUrl = mediaUrl(SOURCE);
}, 180_000);

async function freshUser(prefix: string): Promise<TestUser> {
  const user = await createTestUser({ prefix });
  await getAccount(user.sub); // the free tier's monthly allowance
  return user;
}

const options = { clipCount: 2, minSeconds: 10, maxSeconds: 30, aspect: '9:16', captions: true };

describe('clip pipeline end to end', () => {
  it('turns a speech video into clips: quote, idempotent submit, long-poll, clips with URLs, settle', async () => {
    const user = await freshUser('pipe');
    const before = await balanceOf(user.sub);
    const q = await api('POST', '/jobs/quote', user.accessToken, { url: sourceUrl });
    expect(q.status).toBe(200);
    expect(q.body).toMatchObject({ credits: 2, affordable: true, withinLimits: true });
    expect(Math.abs(Number(q.body.durationSeconds) - durationSeconds)).toBeLessThan(1);
    // A range is quoted on its own length; one outside the video is refused.
    const ranged = await api('POST', '/jobs/quote', user.accessToken, { url: sourceUrl, range: { startSeconds: 10, endSeconds: 40 } });
    expect(ranged).toMatchObject({ status: 200, body: { durationSeconds: 30, credits: 1, range: { startSeconds: 10, endSeconds: 40 } } });
    const outside = await api('POST', '/jobs/quote', user.accessToken, { url: sourceUrl, range: { startSeconds: 5000, endSeconds: 5600 } });
    expect(outside).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });

    const key = randomUUID();
    const created = await api<{ jobId: string; status: string; creditsReserved: number }>('POST', '/jobs', user.accessToken, { url: sourceUrl, options }, { 'idempotency-key': key });
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ status: 'queued', creditsReserved: 2 });
    const again = await api('POST', '/jobs', user.accessToken, { url: sourceUrl, options }, { 'idempotency-key': key });
    expect(again.status).toBe(202);
    expect(again.body.jobId).toBe(created.body.jobId);
    const jobId = created.body.jobId;

    const job = await follow(user.accessToken, jobId, isFinished);
    expect(job).toMatchObject({ status: 'succeeded', progress: 100, creditsCharged: 2, clipCount: 2, clipsReady: 2, error: null });
    for (const s of ['download', 'probe', 'audio', 'transcribe', 'select', 'render', 'finalize']) {
      expect(job.stages[s]).toMatchObject({ status: 'succeeded', ms: expect.any(Number) });
    }
    expect(await balanceOf(user.sub)).toBe(before - 2);

    const clips = await api<{ items: { id: string; start: number; end: number; title: string; videoUrl: string; thumbnailUrl: string; captionsUrl: { srt: string; vtt: string } | null }[] }>(
      'GET', `/jobs/${jobId}/clips`, user.accessToken,
    );
    expect(clips.status).toBe(200);
    expect(clips.body.items).toHaveLength(2);
    for (const clip of clips.body.items) {
      expect(clip.end - clip.start).toBeGreaterThanOrEqual(5);
      expect(clip.title.length).toBeGreaterThan(0);
      const info = await probe(clip.videoUrl);
      expect(info.hasVideo).toBe(true);
      expect(info.height).toBeGreaterThan(info.width ?? 0); // 9:16
      expect(Math.abs(info.durationSeconds - (clip.end - clip.start))).toBeLessThan(1.5);
      if (job.transcriptSource !== 'none') {
        expect(clip.captionsUrl).not.toBeNull();
        const vtt = await (await fetch(clip.captionsUrl!.vtt)).text();
        expect(vtt.startsWith('WEBVTT')).toBe(true);
      }
      expect((await fetch(clip.thumbnailUrl)).status).toBe(200);
    }

    // ETag: nothing changed → 304; another user → 404; the list shows it first.
    const final = await api<JobBody>('GET', `/jobs/${jobId}`, user.accessToken);
    const etag = final.headers.get('etag') ?? '';
    expect((await api('GET', `/jobs/${jobId}`, user.accessToken, undefined, { 'if-none-match': etag })).status).toBe(304);
    const stranger = await freshUser('stranger');
    expect((await api('GET', `/jobs/${jobId}`, stranger.accessToken)).status).toBe(404);
    expect((await api('GET', `/jobs/${jobId}/clips`, stranger.accessToken)).status).toBe(404);
    const list = await api<{ items: { jobId: string }[] }>('GET', '/jobs?limit=5', user.accessToken);
    expect(list.body.items[0]?.jobId).toBe(jobId);

    // Redelivered / duplicated events change nothing: the job stays as it is, nothing is charged twice.
    const userId = user.sub;
    await publish(
      { type: 'stage.completed', jobId, userId, stage: 'finalize', output: { creditsCharged: 9 } },
      { type: 'stage.completed', jobId, userId, stage: 'select', output: { clipIds: ['c01', 'c02'] } },
      { type: 'stage.requested', jobId, userId, stage: 'render', clipId: 'c01' },
      { type: 'stage.requested', jobId, userId, stage: 'render', clipId: 'c01' },
      { type: 'job.requested', jobId, userId },
    );
    await new Promise((r) => setTimeout(r, 5000));
    const after = await api<JobBody>('GET', `/jobs/${jobId}`, user.accessToken);
    expect(after.body).toMatchObject({ status: 'succeeded', creditsCharged: 2, seq: final.body.seq });
    expect(await balanceOf(user.sub)).toBe(before - 2);
  }, 300_000);

  it('runs a stage once when the same event arrives twice in parallel (Powertools idempotency)', async () => {
    const userId = `dup-${randomUUID()}`;
    const jobId = newJobId();
    const now = new Date();
    await dynamoJobStore.create(
      { userId, jobId, source: { kind: 'url', url: sourceUrl }, options: jobOptionsSchema.parse({}), limits: { maxSourceSeconds: 900, maxClipsPerJob: 3, maxHeight: 1280, watermark: false, concurrentJobs: 1 }, durationSeconds, creditsReserved: 2, deadlineAt: stageDeadline(null, now), now: now.toISOString() },
      { maxActive: 1 },
    );
    const started = await dynamoJobStore.advance({ userId, jobId }, { status: 'queued', stage: null }, { status: 'running', stage: 'download', progress: 2 }, now.toISOString(), stageDeadline('download', now));
    expect(started).not.toBeNull();
    const event = stageRequested(jobId, 'download', { userId });
    const handler = stageHandler('download');
    const context = { functionName: 'stageDownload', awsRequestId: randomUUID(), getRemainingTimeInMillis: () => 120_000 } as unknown as Context;
    const record = sqsRecordOf(event, { queue: 'clipforge-local-download' });
    const results = await Promise.allSettled([handler({ Records: [record] } as never, context), handler({ Records: [{ ...record, messageId: randomUUID() }] } as never, context)]);
    expect(results.map((r) => (r.status === 'fulfilled' ? 'ok' : String(((r.reason as { errors?: Error[] }).errors ?? [r.reason as Error]).map((e) => e?.stack ?? e).join(' / '))))).toContain('ok');
    await handler({ Records: [{ ...record, messageId: randomUUID() }] } as never, context);
    const job = await dynamoJobStore.get(userId, jobId);
    expect(job?.stages.download?.attempts).toBe(1);
    // Stop the rest of this synthetic job's pipeline in the stack.
    await dynamoJobStore.finish({ userId, jobId }, { status: 'cancelled', stage: null, progress: 0, creditsCharged: 0 }, new Date().toISOString());
  }, 120_000);

  it('cancel mid-pipeline: 200, refund, and no stage runs afterwards', async () => {
    const user = await freshUser('cancel');
    const before = await balanceOf(user.sub);
    const created = await api<{ jobId: string }>('POST', '/jobs', user.accessToken, { url: sourceUrl, options });
    expect(created.status).toBe(202);
    const jobId = created.body.jobId;
    await follow(user.accessToken, jobId, (j) => isFinished(j) || ['audio', 'transcribe', 'select', 'render'].includes(j.stage ?? ''), 120_000);
    const cancel = await api<JobBody>('POST', `/jobs/${jobId}/cancel`, user.accessToken);
    expect(cancel.status).toBe(200);
    expect(cancel.body.status).toBe('cancelled');
    expect(await balanceOf(user.sub)).toBe(before);
    const snapshot = cancel.body;
    await new Promise((r) => setTimeout(r, 6000));
    const later = await api<JobBody>('GET', `/jobs/${jobId}`, user.accessToken);
    expect(later.body.status).toBe('cancelled');
    // Nothing started after the cancel: no stage moved from pending, no clip became ready.
    for (const [name, timing] of Object.entries(later.body.stages)) {
      if (snapshot.stages[name]?.status === 'pending') expect(timing.status).toBe('pending');
    }
    expect(later.body.clipsReady).toBe(snapshot.clipsReady);
    expect((await api('POST', `/jobs/${jobId}/cancel`, user.accessToken)).status).toBe(200);
    expect(await balanceOf(user.sub)).toBe(before);
  }, 200_000);

  it('refuses bad sources with clear codes and charges nothing', async () => {
    const user = await freshUser('bad');
    const before = await balanceOf(user.sub);
    const submit = (url: string) => api<{ error: { code: string } }>('POST', '/jobs', user.accessToken, { url, options });

    expect(await submit(mediaUrl('does-not-exist.mp4'))).toMatchObject({ status: 400, body: { error: { code: 'SOURCE_NOT_FOUND' } } });
    expect(await submit(writeMedia('page.html', '<!doctype html><html><body>hello</body></html>'))).toMatchObject({ status: 400, body: { error: { code: 'NOT_A_VIDEO' } } });
    expect(await submit(writeMedia('empty.mp4', ''))).toMatchObject({ status: 400, body: { error: { code: 'EMPTY_SOURCE' } } });
    const truncated = fs.readFileSync(mediaPath(SOURCE)).subarray(0, 40_000);
    const corrupt = await submit(writeMedia('truncated.mp4', truncated));
    expect(corrupt.status).toBe(400);
    expect(['CORRUPT_MEDIA', 'NOT_A_VIDEO']).toContain(corrupt.body.error.code);

    const audioOnly = mediaPath('tone.mp3');
    await run(ffmpegPath(), ['-y', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=5', '-c:a', 'libmp3lame', audioOnly]);
    expect(await submit(mediaUrl('tone.mp3'))).toMatchObject({ status: 400, body: { error: { code: 'NOT_A_VIDEO' } } });

    const long = mediaPath('long.mp4');
    await run(ffmpegPath(), ['-y', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=1', '-f', 'lavfi', '-i', 'anullsrc=r=8000:cl=mono', '-t', '960', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-shortest', long]);
    expect(await submit(mediaUrl('long.mp4'))).toMatchObject({ status: 413, body: { error: { code: 'VIDEO_TOO_LONG' } } });

    expect(await submit('http://169.254.169.254/latest/meta-data/')).toMatchObject({ status: 400, body: { error: { code: 'URL_NOT_ALLOWED' } } });
    expect(await submit('http://127.0.0.1:9/video.mp4')).toMatchObject({ status: 400, body: { error: { code: 'URL_NOT_ALLOWED' } } });
    expect((await api('POST', '/jobs', user.accessToken, { url: sourceUrl, options: { clipCount: 2, minSeconds: 40, maxSeconds: 20 } })).status).toBe(400);
    expect(await balanceOf(user.sub)).toBe(before);
  }, 200_000);

  it('a source that disappears after submission fails the job at download and refunds', async () => {
    const user = await freshUser('gone');
    const before = await balanceOf(user.sub);
    const name = `vanishing-${randomUUID()}.mp4`;
    fs.copyFileSync(mediaPath(SOURCE), mediaPath(name));
    const created = await api<{ jobId: string }>('POST', '/jobs', user.accessToken, { url: mediaUrl(name), options });
    fs.rmSync(mediaPath(name));
    expect(created.status).toBe(202);
    const job = await follow(user.accessToken, created.body.jobId, isFinished, 120_000);
    expect(job).toMatchObject({ status: 'failed', error: { code: 'SOURCE_NOT_FOUND' }, creditsCharged: 0 });
    // Failed and refunded in one write: the balance is back as soon as the job reads failed.
    expect(await balanceOf(user.sub)).toBe(before);
  }, 150_000);

  it('a poison message retries with backoff, lands in the DLQ, and the job fails with a refund', async () => {
    const userId = `poison-${randomUUID()}`;
    await getAccount(userId);
    const jobId = newJobId();
    const now = new Date();
    await dynamoJobStore.create(
      { userId, jobId, source: { kind: 'url', url: sourceUrl }, options: jobOptionsSchema.parse({}), limits: { maxSourceSeconds: 900, maxClipsPerJob: 3, maxHeight: 1280, watermark: false, concurrentJobs: 1 }, durationSeconds: 60, creditsReserved: 1, deadlineAt: stageDeadline(null, now), now: now.toISOString() },
      { maxActive: 1 },
    );
    await reserveCredits({ userId, jobId, credits: 1 });
    const before = await balanceOf(userId);
    await dynamoJobStore.advance({ userId, jobId }, { status: 'queued', stage: null }, { status: 'running', stage: 'download', progress: 2 }, now.toISOString(), stageDeadline('download', now));
    await dynamoJobStore.advance({ userId, jobId }, { status: 'running', stage: 'download' }, { status: 'running', stage: 'probe', progress: 12 }, now.toISOString(), stageDeadline('probe', now));
    // probe needs the source the download stage never stored: every attempt fails (retryable).
    await publish({ type: 'stage.requested', jobId, userId, stage: 'probe' });
    const failed = await waitFor('the dead-letter handler', async () => {
      const job = await dynamoJobStore.get(userId, jobId);
      return job?.status === 'failed' ? job : undefined;
    }, 150_000, 1000);
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'DEAD_LETTER' } });
    expect(failed.stages.probe?.attempts).toBeGreaterThanOrEqual(5);
    expect(await balanceOf(userId)).toBe(before + 1);
  }, 200_000);
});
