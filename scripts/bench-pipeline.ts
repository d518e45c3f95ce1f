/**
 * Pipeline benchmark (not a timed test):
 *
 *   npm run bench:pipeline [-- --seconds 600 --clips 5 --video path.mp4]
 *
 * On a throw-away local stack, a generated 10-minute 720p speech video goes through the whole
 * pipeline (HTTP API → SNS → SQS → stage Lambdas) with stream-copy clips (aspect "source", no
 * burned captions, no watermark). Prints wall time per stage and end to end, time to first clip
 * ready, and next to it the floor: the same media/AI library calls run alone in this process on
 * the local file. Overhead = (end to end − floor) / floor; the target is ≤ 15 %.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { call, followJob, startLocalStack, type JobState } from './demo.ts';

const { values: args } = parseArgs({
  options: { seconds: { type: 'string', default: '600' }, clips: { type: 'string', default: '5' }, video: { type: 'string' } },
});

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const v = await fn();
  return [v, performance.now() - t];
}

async function main(): Promise<void> {
  const stack = await startLocalStack();
  try {
    const { createTestUser } = await import('../tests/support/users.ts');
    const { makeSampleVideo } = await import('./make-sample-video.ts');
    const { setEnterpriseLimits } = await import('../lib/billing/account.ts');
    const media = await import('../lib/media/ffmpeg.ts');
    const { renderClip } = await import('../lib/media/render.ts');
    const ai = await import('../lib/ai/transcribe.ts');
    const { selectClips } = await import('../lib/ai/select.ts');

    const user = await createTestUser({ prefix: 'bench' });
    await setEnterpriseLimits(user.sub, { watermark: false, maxSourceSeconds: 4 * 3600, maxClipsPerJob: 20 });
    const name = 'bench-source.mp4';
    const local = path.join(stack.mediaDir, name);
    if (args.video) fs.copyFileSync(args.video, local);
    else {
      console.log(`generating a ${args.seconds}s 720p speech video…`);
      await makeSampleVideo({ outPath: local, seconds: Number(args.seconds), width: 1280, height: 720, preset: 'ultrafast' });
    }
    const url = `${stack.env.MEDIA_SERVER_URL}/${name}`;
    const options = { clipCount: Number(args.clips), minSeconds: 15, maxSeconds: 45, aspect: 'source', captions: false };

    // --- through the local queues
    const t0 = performance.now();
    const created = await call<{ jobId: string }>('POST', '/jobs', user.accessToken, { url, options });
    if (created.status !== 202) throw new Error(`POST /jobs → ${created.status} ${JSON.stringify(created.body)}`);
    let firstClipMs: number | undefined;
    const job: JobState = await followJob(user.accessToken, created.body.jobId, (j, ms) => {
      if (firstClipMs === undefined && j.clipsReady > 0) firstClipMs = ms;
    });
    const endToEnd = performance.now() - t0;
    if (job.status !== 'succeeded') throw new Error(`the job ${job.status}: ${JSON.stringify(job.error)}`);
    const clips = await call<{ items: { start: number; end: number }[] }>('GET', `/jobs/${job.jobId}/clips`, user.accessToken);

    // --- the floor: the same work, alone, in this process, on the local file
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'clipforge-bench-'));
    const floor: Record<string, number> = {};
    [, floor.download] = await timed(async () => {
      const res = await fetch(url);
      const out = fs.createWriteStream(path.join(work, 'source.mp4'));
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) out.write(chunk);
      await new Promise((r) => out.end(r));
    });
    const [info, probeMs] = await timed(() => media.probe(local));
    floor.probe = probeMs;
    const audio = path.join(work, 'audio.mp3');
    [, floor.audio] = await timed(() => media.extractAudio(local, audio));
    const [transcript, transcribeMs] = await timed(async () =>
      ai.transcriptionAvailable() ? ai.transcribe(audio, {}) : { durationSeconds: info.durationSeconds, source: 'none' as const, segments: [] },
    );
    floor.transcribe = transcribeMs;
    [, floor.select] = await timed(async () => {
      const silences = await media.detectSilences(audio);
      return selectClips(transcript, { clipCount: options.clipCount, minSeconds: options.minSeconds, maxSeconds: options.maxSeconds, durationSeconds: info.durationSeconds, silences });
    });
    floor.render = 0;
    for (const [i, c] of clips.body.items.entries()) {
      const [, ms] = await timed(() => renderClip({ input: local, start: c.start, end: c.end, aspect: 'source', captions: null, outDir: path.join(work, `c${i}`), mode: 'copy' }));
      floor.render += ms;
    }
    fs.rmSync(work, { recursive: true, force: true });
    const floorTotal = Object.values(floor).reduce((a, b) => a + b, 0);

    console.log(`\nsource ${info.durationSeconds.toFixed(0)} s ${info.width}x${info.height}, ${clips.body.items.length} stream-copy clips, transcript: ${job.transcriptSource}`);
    console.log('stage        pipeline ms   floor ms');
    for (const [stage, t] of Object.entries(job.stages)) {
      console.log(`${stage.padEnd(12)} ${String(t.ms ?? '-').padStart(11)} ${floor[stage] === undefined ? '          -' : floor[stage].toFixed(0).padStart(10)}`);
    }
    console.log(`end to end   ${endToEnd.toFixed(0).padStart(11)} ${floorTotal.toFixed(0).padStart(10)}`);
    console.log(`time to first clip ready: ${firstClipMs === undefined ? 'n/a' : `${firstClipMs.toFixed(0)} ms`}`);
    console.log(`orchestration overhead: ${(((endToEnd - floorTotal) / floorTotal) * 100).toFixed(1)} % (target ≤ 15 %)`);
    console.log('note: renders in the pipeline run in parallel (one Lambda per clip); the floor renders them one after another.');
  } finally {
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
