/**
 * The main job, headless, on a throw-away local stack:
 *
 *   npm run demo [-- --video path.mp4] [--seconds 90] [--clips 3] [--aspect 9:16|1:1|source] [--no-captions]
 *
 * Starts the stack (scripts/dev.ts --test: free ports, in-memory data), creates a user in
 * cognito-local, generates a sample speech video (or serves yours), submits it through the HTTP
 * API, follows progress with ?wait long-polls, downloads the clips to .local/demo/<jobId>/ and
 * prints their paths and the per-stage timings. Stops the stack at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOT = path.resolve(import.meta.dirname, '..');

export interface LocalStack {
  env: Record<string, string>;
  mediaDir: string;
  stop(): Promise<void>;
}

/** Starts scripts/dev.ts --test and waits for its settings; they are also put into process.env. */
export async function startLocalStack(log: (m: string) => void = console.log, opts: { emulatorsOnly?: boolean } = {}): Promise<LocalStack> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clipforge-demo-'));
  const envFile = path.join(dir, 'env.json');
  const mediaDir = path.join(dir, 'media');
  const proc: ChildProcess = spawn(process.execPath, [path.join(ROOT, 'scripts/dev.ts'), '--test', '--env-out', envFile, '--parent-pid', String(process.pid), '--media-dir', mediaDir, ...(opts.emulatorsOnly ? ['--emulators-only'] : [])], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  log('starting the local stack…');
  const deadline = Date.now() + 300_000;
  while (!fs.existsSync(envFile)) {
    if (proc.exitCode !== null) throw new Error(`the local stack failed to start:\n${output}`);
    if (Date.now() > deadline) throw new Error(`the local stack did not start in time:\n${output}`);
    await sleep(200);
  }
  await sleep(50);
  const env = JSON.parse(fs.readFileSync(envFile, 'utf8')) as Record<string, string>;
  Object.assign(process.env, env);
  return {
    env,
    mediaDir: env.MEDIA_DIR ?? mediaDir,
    stop: async () => {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function call<T>(method: string, route: string, token: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T; etag: string | null }> {
  const res = await fetch((process.env.API_URL ?? '') + route, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, etag: res.headers.get('etag') };
}

export interface JobState {
  jobId: string;
  status: string;
  stage: string | null;
  progress: number;
  clipsReady: number;
  clipCount: number;
  creditsCharged: number | null;
  error: { code: string; message: string } | null;
  notices: string[];
  transcriptSource: string | null;
  stages: Record<string, { status: string; ms?: number; requestedAt?: string; startedAt?: string; finishedAt?: string }>;
}

/** Long-polls GET /jobs/{id}?wait=20 (with If-None-Match) until the job finishes. */
export async function followJob(token: string, jobId: string, onChange: (j: JobState, atMs: number) => void): Promise<JobState> {
  const started = performance.now();
  let etag: string | null = null;
  for (;;) {
    const res: { status: number; body: JobState; etag: string | null } = await call<JobState>('GET', `/jobs/${jobId}?wait=20`, token, undefined, etag ? { 'if-none-match': etag } : {});
    if (res.status === 200) {
      etag = res.etag;
      onChange(res.body, performance.now() - started);
      if (['succeeded', 'failed', 'cancelled'].includes(res.body.status)) return res.body;
    } else if (res.status !== 304) {
      throw new Error(`GET /jobs/${jobId} → ${res.status} ${JSON.stringify(res.body)}`);
    }
  }
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      video: { type: 'string' },
      seconds: { type: 'string', default: '90' },
      clips: { type: 'string', default: '3' },
      aspect: { type: 'string', default: '9:16' },
      'no-captions': { type: 'boolean', default: false },
    },
  });
  const stack = await startLocalStack();
  try {
    const { createTestUser } = await import('../tests/support/users.ts');
    const { makeSampleVideo } = await import('./make-sample-video.ts');
    const user = await createTestUser({ prefix: 'demo' });
    console.log(`user ${user.email} (${user.sub})`);

    const name = 'demo-source.mp4';
    if (args.video) fs.copyFileSync(args.video, path.join(stack.mediaDir, name));
    else {
      console.log(`generating a ${args.seconds}s sample speech video…`);
      await makeSampleVideo({ outPath: path.join(stack.mediaDir, name), seconds: Number(args.seconds), width: 1280, height: 720 });
    }
    const url = `${stack.env.MEDIA_SERVER_URL}/${name}`;
    const quote = await call<Record<string, unknown>>('POST', '/jobs/quote', user.accessToken, { url });
    console.log('quote', quote.status, quote.body);
    const options = { clipCount: Number(args.clips), minSeconds: 10, maxSeconds: 30, aspect: args.aspect, captions: !args['no-captions'] };
    const created = await call<{ jobId: string; error?: unknown }>('POST', '/jobs', user.accessToken, { url, options });
    if (created.status !== 202) throw new Error(`POST /jobs → ${created.status} ${JSON.stringify(created.body)}`);
    const jobId = created.body.jobId;
    console.log(`job ${jobId} submitted`);

    const job = await followJob(user.accessToken, jobId, (j, ms) =>
      console.log(`${(ms / 1000).toFixed(1).padStart(6)}s  ${j.status.padEnd(9)} ${String(j.stage ?? '-').padEnd(10)} ${String(j.progress).padStart(3)}%  clips ${j.clipsReady}/${j.clipCount}`),
    );
    console.log(`\njob ${job.status}${job.error ? ` — ${job.error.code}: ${job.error.message}` : ''}; credits charged: ${job.creditsCharged ?? 0}`);
    for (const notice of job.notices) console.log(`note: ${notice}`);
    console.log('\nstage timings:');
    for (const [stage, t] of Object.entries(job.stages)) console.log(`  ${stage.padEnd(10)} ${t.status.padEnd(9)} ${t.ms === undefined ? '' : `${t.ms} ms`}`);

    const clips = await call<{ items: { id: string; start: number; end: number; title: string; score: number; videoUrl: string | null; thumbnailUrl: string | null; captionsUrl: { srt: string; vtt: string } | null }[] }>(
      'GET', `/jobs/${jobId}/clips`, user.accessToken,
    );
    const outDir = path.join(ROOT, '.local', 'demo', jobId);
    fs.mkdirSync(outDir, { recursive: true });
    console.log(`\nclips (${outDir}):`);
    for (const c of clips.body.items) {
      const files: string[] = [];
      const save = async (u: string | null | undefined, file: string) => {
        if (!u) return;
        fs.writeFileSync(path.join(outDir, file), Buffer.from(await (await fetch(u)).arrayBuffer()));
        files.push(file);
      };
      await save(c.videoUrl, `${c.id}.mp4`);
      await save(c.thumbnailUrl, `${c.id}.jpg`);
      await save(c.captionsUrl?.srt, `${c.id}.srt`);
      await save(c.captionsUrl?.vtt, `${c.id}.vtt`);
      console.log(`  ${c.id} ${c.start.toFixed(1)}–${c.end.toFixed(1)}s score ${c.score} "${c.title}"\n      ${files.map((f) => path.join(outDir, f)).join('\n      ')}`);
    }
    process.exitCode = job.status === 'succeeded' ? 0 : 1;
  } finally {
    await stack.stop();
  }
}

if ((import.meta as { main?: boolean }).main) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
