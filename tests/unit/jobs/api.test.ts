import { describe, it, expect, beforeEach } from '@jest/globals';
import { createJob, quote, listJobs, cancelJob, listClips, getJob, jobView, etagOf, seqFromEtag, waitForChange, createUpload, completeUpload, partPlan } from '../../../lib/jobs/api.ts';
import { HttpError } from '../../../lib/http/errors.ts';
import { MediaError } from '../../../lib/media/errors.ts';
import { createJobBodySchema, jobSchema, jobOptionsSchema, quoteBodySchema } from '../../../lib/contracts/jobs.ts';
import { jobCreateBody } from './helpers.ts';
import { makeDeps, type TestDeps } from './fakes.ts';

const USER = 'user-1';
let deps: TestDeps;
beforeEach(() => {
  deps = makeDeps();
  deps.billing.balances.set(USER, 10);
});

async function rejection(p: Promise<unknown>): Promise<HttpError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HttpError);
  return err as HttpError;
}

describe('jobs API (lib/jobs/api.ts)', () => {
  it('quotes a URL: duration, credits, balance, affordability and limits', async () => {
    const q = await quote(USER, { url: 'https://media.example.com/a.mp4' }, deps);
    expect(q).toEqual({ durationSeconds: 90, sourceDurationSeconds: 90, credits: 2, balance: 10, affordable: true, withinLimits: true, limits: deps.billing.limits });
    expect(deps.media.calls).toEqual(['probeRemote']);
  });

  it("a new user's first quote counts the free allowance that creating the account grants", async () => {
    deps.billing.balances.delete(USER);
    const getAccount = deps.billing.getAccount.bind(deps.billing);
    deps.billing.getAccount = async () => {
      await new Promise((r) => setTimeout(r, 5));
      deps.billing.balances.set(USER, 30);
      return getAccount();
    };
    expect(await quote(USER, { url: 'https://media.example.com/a.mp4' }, deps)).toMatchObject({ credits: 2, balance: 30, affordable: true });
  });

  it('quotes a range: only its minutes, clamped to the video', async () => {
    deps.media.info = { ...deps.media.info, durationSeconds: 3600 };
    const q = await quote(USER, { url: 'https://media.example.com/a.mp4', range: { startSeconds: 3300, endSeconds: 3900 } }, deps);
    expect(q).toMatchObject({ durationSeconds: 300, sourceDurationSeconds: 3600, range: { startSeconds: 3300, endSeconds: 3600 }, credits: 5, withinLimits: true });
  });

  it('maps media verdicts on the source to 400 with the code (413 for too large)', async () => {
    deps.media.failWith.probeRemote = new MediaError('NOT_A_VIDEO', 'The URL points to a web page');
    expect(await rejection(quote(USER, { url: 'https://x.example/page' }, deps))).toMatchObject({ status: 400, code: 'NOT_A_VIDEO' });
    deps.media.failWith.probeRemote = new MediaError('URL_NOT_ALLOWED', 'private address');
    expect(await rejection(createJob(USER, jobCreateBody(), undefined, deps))).toMatchObject({ status: 400, code: 'URL_NOT_ALLOWED' });
    deps.media.failWith.probeRemote = new MediaError('SOURCE_TOO_LARGE', 'too big');
    expect(await rejection(createJob(USER, jobCreateBody(), undefined, deps))).toMatchObject({ status: 413 });
    deps.media.failWith.probeRemote = new Error('ETIMEDOUT');
    expect(await rejection(createJob(USER, jobCreateBody(), undefined, deps))).toMatchObject({ status: 503 });
    expect(deps.store.jobs.size).toBe(0);
    expect(deps.billing.balances.get(USER)).toBe(10);
  });

  it('creates a job: reserves credits, publishes job.requested, 202 body', async () => {
    const created = await createJob(USER, jobCreateBody(), undefined, deps);
    expect(created).toEqual({ jobId: expect.stringMatching(/^j[0-9a-z]{19}$/), status: 'queued', creditsReserved: 2 });
    expect(deps.billing.balances.get(USER)).toBe(8);
    expect(deps.events.published).toEqual([expect.objectContaining({ type: 'job.requested', jobId: created.jobId, userId: USER })]);
    const view = jobView((await getJob(USER, created.jobId, deps)));
    expect(jobSchema.parse(view)).toMatchObject({ status: 'queued', stage: null, progress: 0, creditsReserved: 2, durationSeconds: 90 });
  });

  it('402 when the balance is short — and nothing is left behind', async () => {
    deps.billing.balances.set(USER, 1);
    expect(await rejection(createJob(USER, jobCreateBody(), 'k-402', deps))).toMatchObject({ status: 402, code: 'INSUFFICIENT_CREDITS' });
    expect(deps.store.jobs.size).toBe(0);
    expect(deps.store.slots.get(USER)).toBe(0);
    expect(deps.store.keys.size).toBe(0);
    expect(deps.events.published).toHaveLength(0);
  });

  it('413 VIDEO_TOO_LONG for the tier, 400 for more clips than the tier allows', async () => {
    deps.media.info = { ...deps.media.info, durationSeconds: 16 * 60 };
    expect(await rejection(createJob(USER, jobCreateBody(), undefined, deps))).toMatchObject({ status: 413, code: 'VIDEO_TOO_LONG' });
    expect(await rejection(createJob(USER, jobCreateBody({ clipCount: 6 }), undefined, deps))).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
  });

  it('429 TOO_MANY_JOBS at the concurrent-job limit; a finished job frees its slot', async () => {
    const a = await createJob(USER, jobCreateBody(), undefined, deps);
    await createJob(USER, jobCreateBody(), undefined, deps);
    const err = await rejection(createJob(USER, jobCreateBody(), undefined, deps));
    expect(err).toMatchObject({ status: 429, code: 'TOO_MANY_JOBS' });
    expect(err.headers?.['retry-after']).toBeDefined();
    await cancelJob(USER, a.jobId, deps);
    await expect(createJob(USER, jobCreateBody(), undefined, deps)).resolves.toMatchObject({ status: 'queued' });
  });

  it('Idempotency-Key: the same request returns the same job; another body → 409', async () => {
    const first = await createJob(USER, jobCreateBody(), 'key-1', deps);
    const again = await createJob(USER, jobCreateBody(), 'key-1', deps);
    expect(again).toEqual(first);
    expect(deps.store.jobs.size).toBe(1);
    expect(deps.billing.balances.get(USER)).toBe(8);
    expect(await rejection(createJob(USER, jobCreateBody({ clipCount: 2 }), 'key-1', deps))).toMatchObject({ status: 409, code: 'IDEMPOTENCY_KEY_REUSED' });
    expect(await rejection(createJob(USER, jobCreateBody(), 'bad key with spaces', deps))).toMatchObject({ status: 400 });
  });

  it('a job whose event cannot be published is failed and refunded (503)', async () => {
    deps.events.failNext = 1;
    expect(await rejection(createJob(USER, jobCreateBody(), undefined, deps))).toMatchObject({ status: 503 });
    const [job] = [...deps.store.jobs.values()];
    expect(job).toMatchObject({ status: 'failed', error: { code: 'INTERNAL' } });
    expect(deps.billing.balances.get(USER)).toBe(10);
  });

  it('a job cancelled before its credits were held gets them back when its event cannot be published', async () => {
    // The cancel lands between the job's creation and its hold: that finish had nothing to refund.
    const reserve = deps.billing.reserveCredits.bind(deps.billing);
    deps.billing.reserveCredits = async (input) => {
      const [job] = [...deps.store.jobs.values()];
      await cancelJob(USER, job!.jobId, deps);
      deps.events.failNext = 1;
      return reserve(input);
    };
    expect(await rejection(createJob(USER, jobCreateBody(), undefined, deps))).toMatchObject({ status: 503 });
    expect(deps.billing.balances.get(USER)).toBe(10);
    expect([...deps.billing.holds.values()].map((h) => h.status)).toEqual(['refunded']);
  });

  it("another user's job is 404 everywhere", async () => {
    const { jobId } = await createJob(USER, jobCreateBody(), undefined, deps);
    expect(await rejection(getJob('someone-else', jobId, deps))).toMatchObject({ status: 404 });
    expect(await rejection(cancelJob('someone-else', jobId, deps))).toMatchObject({ status: 404 });
    expect(await rejection(listClips('someone-else', jobId, deps))).toMatchObject({ status: 404 });
    expect((await listJobs('someone-else', { limit: 10 }, deps)).items).toEqual([]);
  });

  it('lists newest first with a cursor', async () => {
    deps.billing.limits = { ...deps.billing.limits, concurrentJobs: 10 };
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      deps.clock.advance(1);
      ids.push((await createJob(USER, jobCreateBody(), undefined, deps)).jobId);
    }
    const page1 = await listJobs(USER, { limit: 2 }, deps);
    expect(page1.items.map((j) => j.jobId)).toEqual([ids[2], ids[1]]);
    const page2 = await listJobs(USER, { limit: 2, cursor: page1.nextCursor ?? undefined }, deps);
    expect(page2.items.map((j) => j.jobId)).toEqual([ids[0]]);
    expect(page2.nextCursor).toBeNull();
  });

  it('cancel: 200 and refund; a finished job → 409 JOB_FINISHED', async () => {
    const { jobId } = await createJob(USER, jobCreateBody(), undefined, deps);
    const job = await cancelJob(USER, jobId, deps);
    expect(job.status).toBe('cancelled');
    expect(deps.billing.balances.get(USER)).toBe(10);
    expect(deps.events.published.map((e) => e.type)).toEqual(['job.requested', 'job.cancelled', 'job.finished', 'job.progress']);
    deps.store.poke(USER, jobId, { status: 'succeeded' });
    expect(await rejection(cancelJob(USER, jobId, deps))).toMatchObject({ status: 409, code: 'JOB_FINISHED' });
  });

  it('ETags follow the job seq; a long-poll returns as soon as the job changes', async () => {
    const { jobId } = await createJob(USER, jobCreateBody(), undefined, deps);
    const job = await getJob(USER, jobId, deps);
    const etag = etagOf(job);
    expect(seqFromEtag(etag, jobId)).toBe(job.seq);
    expect(seqFromEtag(`W/${etag}`, jobId)).toBe(job.seq);
    expect(seqFromEtag('"other.3"', jobId)).toBeUndefined();
    const started = Date.now();
    setTimeout(() => deps.store.advance(job, { status: 'queued', stage: null }, { status: 'running', stage: 'download', progress: 2 }, 'now', 'later'), 150);
    const changed = await waitForChange(USER, jobId, job.seq, 5, deps, 25);
    expect(changed.seq).toBe(job.seq + 1);
    expect(Date.now() - started).toBeLessThan(2000);
    const unchanged = await waitForChange(USER, jobId, changed.seq, 0.2, deps, 25);
    expect(unchanged.seq).toBe(changed.seq);
  });

  it('clips come with presigned URLs for video, thumbnail and SRT+VTT captions', async () => {
    const { jobId } = await createJob(USER, jobCreateBody(), undefined, deps);
    await deps.store.putClipsIfAbsent([
      { jobId, clipId: 'c01', userId: USER, index: 0, status: 'ready', start: 1, end: 21, title: 'T', reason: 'R', score: 88, transcript: 'Hi.', videoKey: 'clips/x/c01/clip.mp4', thumbnailKey: 'clips/x/c01/thumbnail.jpg', srtKey: 'clips/x/c01/captions.srt', vttKey: 'clips/x/c01/captions.vtt', durationSeconds: 20 },
      { jobId, clipId: 'c02', userId: USER, index: 1, status: 'pending', start: 30, end: 50, title: 'U', reason: 'S', score: 70, transcript: '' },
    ] as never);
    const { items } = await listClips(USER, jobId, deps);
    expect(items[0]).toMatchObject({ id: 'c01', videoUrl: expect.stringContaining('clips/x/c01/clip.mp4'), captionsUrl: { srt: expect.stringContaining('.srt'), vtt: expect.stringContaining('.vtt') }, thumbnailUrl: expect.stringContaining('thumbnail.jpg') });
    expect(items[1]).toMatchObject({ id: 'c02', status: 'pending', videoUrl: null, captionsUrl: null });
  });

  it('uploads: multipart plan, the key is the caller’s, completing checks ownership', async () => {
    expect(partPlan(1)).toEqual({ partSize: 8 * 1024 * 1024, partCount: 1 });
    expect(partPlan(100 * 1024 * 1024).partCount).toBe(13);
    expect(partPlan(200 * 1024 ** 3).partCount).toBeLessThanOrEqual(10000);
    const up = await createUpload(USER, { filename: '../My Talk.mp4', size: 20 * 1024 * 1024, contentType: 'video/mp4' }, 4 * 1024 ** 3, deps);
    expect(up.uploadKey).toMatch(new RegExp(`^uploads/${USER}/[0-9a-f]{32}/My_Talk.mp4$`));
    expect(up.parts).toHaveLength(3);
    expect(await rejection(createUpload(USER, { filename: 'a.mp4', size: 5 * 1024 ** 3, contentType: 'video/mp4' }, 4 * 1024 ** 3, deps))).toMatchObject({ status: 413 });
    expect(await rejection(completeUpload('intruder', { uploadKey: up.uploadKey, uploadId: up.uploadId, parts: [{ partNumber: 1, etag: 'e' }] }, 4 * 1024 ** 3, deps))).toMatchObject({ status: 404 });
    await expect(completeUpload(USER, { uploadKey: up.uploadKey, uploadId: up.uploadId, parts: [{ partNumber: 1, etag: 'e' }] }, 4 * 1024 ** 3, deps)).resolves.toMatchObject({ uploadKey: up.uploadKey });
    const created = await createJob(USER, jobCreateBody({}, { uploadKey: up.uploadKey }), undefined, deps);
    expect(created.status).toBe('queued');
    expect(deps.media.calls).toContain('probe');
    expect(await rejection(createJob('intruder', jobCreateBody({}, { uploadKey: up.uploadKey }), undefined, deps))).toMatchObject({ status: 404 });
  });
});

describe('uploads are held to their declared size', () => {
  const GiB = 1024 ** 3;
  const done = (key: string, uploadId: string) => ({ uploadKey: key, uploadId, parts: [{ partNumber: 1, etag: 'e' }] });

  it('a completed object of another size than declared is deleted: 400 UPLOAD_SIZE_MISMATCH, and no job can use it', async () => {
    const up = await createUpload(USER, { filename: 'a.mp4', size: 1000, contentType: 'video/mp4' }, 4 * GiB, deps);
    deps.storage.uploadedBytes.set(up.uploadKey, 50 * 1024 * 1024); // the client sent far more than it declared
    expect(await rejection(completeUpload(USER, done(up.uploadKey, up.uploadId), 4 * GiB, deps))).toMatchObject({
      status: 400,
      code: 'UPLOAD_SIZE_MISMATCH',
      details: { bytes: 50 * 1024 * 1024, declaredBytes: 1000 },
    });
    expect(deps.storage.objects.has(up.uploadKey)).toBe(false);
    expect(await rejection(createJob(USER, jobCreateBody({}, { uploadKey: up.uploadKey }), undefined, deps))).toMatchObject({ status: 404 });
  });

  it('an object over the byte cap is deleted with 413, whatever was declared', async () => {
    const up = await createUpload(USER, { filename: 'a.mp4', size: 1000, contentType: 'video/mp4' }, 2000, deps);
    deps.storage.uploadedBytes.set(up.uploadKey, 3000);
    expect(await rejection(completeUpload(USER, done(up.uploadKey, up.uploadId), 2000, deps))).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    expect(deps.storage.objects.has(up.uploadKey)).toBe(false);
  });

  it('every part URL is planned from the declared size', async () => {
    const up = await createUpload(USER, { filename: 'a.mp4', size: 20 * 1024 * 1024, contentType: 'video/mp4' }, 4 * GiB, deps);
    expect(deps.storage.declared.get(up.uploadKey)).toBe(20 * 1024 * 1024);
    expect(up.parts).toHaveLength(Math.ceil((20 * 1024 * 1024) / up.partSize));
  });
});

describe('jobs contracts', () => {
  it('options: defaults, bounds, min ≤ max', () => {
    expect(jobOptionsSchema.parse({})).toEqual({ clipCount: 3, minSeconds: 15, maxSeconds: 60, aspect: 'source', captions: true });
    expect(jobOptionsSchema.safeParse({ minSeconds: 50, maxSeconds: 20 }).success).toBe(false);
    expect(jobOptionsSchema.safeParse({ aspect: '4:3' }).success).toBe(false);
    expect(jobOptionsSchema.safeParse({ clipCount: 0 }).success).toBe(false);
    expect(jobOptionsSchema.safeParse({ language: 'english' }).success).toBe(false);
  });
  it('exactly one of url / uploadKey; only http(s) URLs', () => {
    expect(createJobBodySchema.safeParse({ options: {} }).success).toBe(false);
    expect(createJobBodySchema.safeParse({ url: 'https://a.example/v.mp4', uploadKey: 'uploads/u/abc/v.mp4' }).success).toBe(false);
    expect(createJobBodySchema.safeParse({ url: 'file:///etc/passwd' }).success).toBe(false);
    expect(createJobBodySchema.safeParse({ url: 'ftp://a.example/v.mp4' }).success).toBe(false);
    expect(createJobBodySchema.parse({ url: 'http://a.example/v.mp4' }).options.clipCount).toBe(3);
    expect(quoteBodySchema.safeParse({ uploadKey: '../../etc/passwd' }).success).toBe(false);
  });
});
