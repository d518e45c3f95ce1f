import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { getAccount, reserveCredits } from '../../../lib/billing/index.ts';
import { jobOptionsSchema } from '../../../lib/contracts/jobs.ts';
import { newJobId } from '../../../lib/db/job.ts';
import { stageDeadline } from '../../../lib/jobs/deadlines.ts';
import { publish } from '../../../lib/jobs/publisher.ts';
import { dynamoJobStore } from '../../../lib/jobs/store.ts';
import { detectSilences, extractAudio, extractSubtitleTrack, probe } from '../../../lib/media/ffmpeg.ts';
import { renderClip } from '../../../lib/media/render.ts';
import { createTestUser } from '../../support/users.ts';
import { api, balanceOf, mediaPath, mediaUrl, waitFor, writeMedia } from './support.ts';

/**
 * ffmpeg and ffprobe open the URLs and files a playlist or a concat list names, around the
 * SSRF-safe downloader. Every run on user media refuses those demuxers (lib/media/ffmpeg.ts
 * userInputOptions): a listener on loopback that the playlists point at must see no connection,
 * whether the playlist is uploaded or linked, at the quote, at job creation and in every stage.
 */
let listener: net.Server;
let connections = 0;
let port = 0;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'playlist-ssrf-'));
const names = { hls: `evil-${randomUUID()}.m3u8`, concat: `evil-${randomUUID()}.ffconcat` };

beforeAll(async () => {
  listener = net.createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  port = (listener.address() as net.AddressInfo).port;
  const target = `http://127.0.0.1:${port}`;
  writeMedia(names.hls, `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.0,\n${target}/seg0.ts\n#EXTINF:10.0,\n${target}/seg1.ts\n#EXT-X-ENDLIST\n`);
  writeMedia(names.concat, `ffconcat version 1.0\nfile ${target}/a.mp4\nfile ${target}/b.mp4\n`);
});

afterAll(async () => {
  await new Promise<void>((resolve) => listener.close(() => resolve()));
  fs.rmSync(scratch, { recursive: true, force: true });
  for (const n of Object.values(names)) fs.rmSync(mediaPath(n), { force: true });
});

const inputs = () =>
  Object.entries(names).flatMap(([kind, name]) => [
    { label: `${kind} file`, input: mediaPath(name) },
    { label: `${kind} URL`, input: mediaUrl(name) },
  ]);

describe('playlists and concat lists never make ffmpeg connect anywhere', () => {
  it('every media step refuses them with UNSUPPORTED_FORMAT: probe, audio, captions track, silences, render', async () => {
    for (const { label, input } of inputs()) {
      const steps: [string, () => Promise<unknown>][] = [
        ['probe', () => probe(input)],
        ['extractAudio', () => extractAudio(input, path.join(scratch, `${randomUUID()}.mp3`))],
        ['extractSubtitleTrack', () => extractSubtitleTrack(input, 0)],
        ['detectSilences', () => detectSilences(input)],
        ['renderClip', () => renderClip({ input, start: 0, end: 5, aspect: '9:16', captions: null, outDir: path.join(scratch, randomUUID()) })],
      ];
      for (const [step, runStep] of steps) {
        const err = await runStep().then(
          () => undefined,
          (e: unknown) => e as { code?: string },
        );
        expect([label, step, err?.code]).toEqual([label, step, 'UNSUPPORTED_FORMAT']);
      }
    }
    expect(connections).toBe(0);
  }, 120_000);

  it('the API refuses them at quote and create, linked or uploaded (400 UNSUPPORTED_FORMAT), and charges nothing', async () => {
    const user = await createTestUser({ prefix: 'playlist' });
    await getAccount(user.sub);
    const before = await balanceOf(user.sub);
    for (const name of Object.values(names)) {
      for (const route of ['/jobs/quote', '/jobs']) {
        const linked = await api(route === '/jobs' ? 'POST' : 'POST', route, user.accessToken, { url: mediaUrl(name), ...(route === '/jobs' ? { options: {} } : {}) });
        expect([name, route, linked.status, (linked.body as { error?: { code: string } }).error?.code]).toEqual([name, route, 400, 'UNSUPPORTED_FORMAT']);
      }
      // Uploaded (claiming to be a video) through the presigned multipart flow.
      const bytes = fs.readFileSync(mediaPath(name));
      const up = await api<{ uploadKey: string; uploadId: string; parts: { partNumber: number; url: string }[] }>('POST', '/uploads', user.accessToken, {
        filename: 'video.mp4',
        size: bytes.length,
        contentType: 'video/mp4',
      });
      expect(up.status).toBe(201);
      const put = await fetch(up.body.parts[0]!.url, { method: 'PUT', body: bytes });
      const done = await api('POST', '/uploads/complete', user.accessToken, {
        uploadKey: up.body.uploadKey,
        uploadId: up.body.uploadId,
        parts: [{ partNumber: 1, etag: put.headers.get('etag') ?? '' }],
      });
      expect(done.status).toBe(200);
      for (const route of ['/jobs/quote', '/jobs']) {
        const uploaded = await api('POST', route, user.accessToken, { uploadKey: up.body.uploadKey, ...(route === '/jobs' ? { options: {} } : {}) });
        expect([name, route, uploaded.status, (uploaded.body as { error?: { code: string } }).error?.code]).toEqual([name, route, 400, 'UNSUPPORTED_FORMAT']);
      }
    }
    expect(await balanceOf(user.sub)).toBe(before);
    expect(connections).toBe(0);
  }, 120_000);

  it('a job whose source turns out to be a playlist fails in the pipeline with UNSUPPORTED_FORMAT, refunded', async () => {
    const userId = `playlist-${randomUUID()}`;
    await getAccount(userId);
    const jobId = newJobId();
    const now = new Date();
    // As if the quote had been passed (a source swapped after it): the stages must refuse it too.
    await dynamoJobStore.create(
      { userId, jobId, source: { kind: 'url', url: mediaUrl(names.hls) }, options: jobOptionsSchema.parse({}), limits: { maxSourceSeconds: 900, maxClipsPerJob: 3, maxHeight: 1280, watermark: false, concurrentJobs: 1 }, durationSeconds: 60, creditsReserved: 1, deadlineAt: stageDeadline(null, now), now: now.toISOString() },
      { maxActive: 1 },
    );
    await reserveCredits({ userId, jobId, credits: 1 });
    const before = await balanceOf(userId);
    await publish({ type: 'job.requested', jobId, userId });
    const failed = await waitFor('the job to fail', async () => {
      const job = await dynamoJobStore.get(userId, jobId);
      return job?.status === 'failed' ? job : undefined;
    }, 90_000, 500);
    expect(failed).toMatchObject({ status: 'failed', stage: 'probe', error: { code: 'UNSUPPORTED_FORMAT' }, creditsCharged: 0 });
    expect(await balanceOf(userId)).toBe(before + 1);
    expect(connections).toBe(0);
  }, 120_000);
});
