/**
 * npm run soak — a steady trickle of jobs and API traffic for a long time, watching memory:
 *
 *   npm run soak [-- --minutes 30 --job-every 20 --rps 4 --sample 30 --grace 180 --users N]
 *   npm run soak -- --url http://127.0.0.1:3000      (an already running `npm run dev`)
 *
 * Starts a throw-away local stack (its logs are kept under .local/soak/<time>/logs) unless --url
 * is given, creates free-tier users (enough that none runs out of its 30 monthly credits: a job of
 * the 20 s sample costs 1), then for --minutes: one small job every --job-every seconds (users in
 * turn) and --rps API requests a second (GET /jobs/{id}, GET /jobs, GET /usage, POST /jobs/quote).
 * Every --sample seconds it reads the resident memory of each long-lived process of the stack
 * from /proc (serverless-offline with its worker threads and not-reaped children, DynamoDB Local's
 * JVM, fauxqs, cognito-local, the stack's owner process with the doubles and the media server,
 * the media launcher helpers) and prints a row; at the end the table, the slope per process
 * (MB/hour, least squares; also over the second half, after warm-up), the API figures, and after
 * a --grace period the jobs still not terminal (target 0) and the jobs charged more than once
 * (target 0), with the ledger's invariants. Exits 1 when a target is missed.
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  JOB_OPTIONS,
  TrafficStats,
  checkLedger,
  createUsers,
  describeMix,
  labelOf,
  listenerPid,
  mb,
  noteCreated,
  openStack,
  planRequest,
  printLedgerReport,
  processMemory,
  processTree,
  refreshTokens,
  sampleSource,
  slope,
  stackMemory,
  summarizeOfflineLog,
  waitForTerminal,
  type RouteName,
  type TargetStack,
  type TrafficUser,
} from './lib/traffic.ts';
import { ROOT } from './lib/stack.ts';


const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    'job-every': { type: 'string', default: '20' },
    rps: { type: 'string', default: '4' },
    sample: { type: 'string', default: '30' },
    grace: { type: 'string', default: '180' },
    users: { type: 'string' },
    url: { type: 'string' },
    'source-seconds': { type: 'string', default: '20' },
  },
});
const MINUTES = Math.max(0.5, Number(args.minutes) || 30);
const JOB_EVERY_S = Math.max(1, Number(args['job-every']) || 20);
const RPS = Math.max(0, Number(args.rps) || 0);
const SAMPLE_S = Math.max(5, Number(args.sample) || 30);
const GRACE_MS = Math.max(0, Number(args.grace) || 0) * 1000;
const PLANNED_JOBS = Math.ceil((MINUTES * 60) / JOB_EVERY_S);
// 30 free credits a month each; keep a margin so no planned job meets 402.
const USERS = Math.max(1, Number(args.users) || Math.max(4, Math.ceil(PLANNED_JOBS / 25)));
const MAX_IN_FLIGHT = 20;

/** API traffic of the soak: what a few open portal tabs do (submissions are the separate trickle). */
const SOAK_MIX: Partial<Record<RouteName, number>> = { 'GET /jobs/{id}': 40, 'GET /jobs': 25, 'GET /usage': 20, 'POST /jobs/quote': 15 };

/** The table's columns: short names of the process labels (scripts/lib/traffic.ts labelOf). */
const COLUMNS: { key: string; label: string }[] = [
  { key: 'offline', label: 'serverless-offline' },
  { key: 'dynamodb', label: 'DynamoDB Local (java)' },
  { key: 'fauxqs', label: 'fauxqs' },
  { key: 'cognito', label: 'cognito-local' },
  { key: 'owner', label: 'stack owner (dev.ts: doubles, media server)' },
  { key: 'helpers', label: 'media launcher helpers' },
  { key: 'ddb-node', label: 'DynamoDB Local (node wrapper)' },
  { key: 'guards', label: 'guards' },
];

interface Sample {
  minute: number;
  mbBy: Record<string, number>;
  helpers: number;
  workers: number;
  zombies: number;
  self: number;
  load: number;
}

/** Resident MB per column: the owned stack's process tree, or (--url) the processes listening on the stack's ports. */
function sampleStack(stack: TargetStack, offlinePid: number | undefined, startedAt: number): Sample {
  const byLabel = new Map<string, { rssMB: number; count: number }>();
  if (stack.ownerPid) {
    for (const [k, v] of stackMemory(stack.ownerPid)) byLabel.set(k, v);
  } else {
    const ports = ['API_URL', 'DYNAMODB_ENDPOINT', 'FAUXQS_ENDPOINT', 'COGNITO_ENDPOINT', 'MEDIA_SERVER_URL'].map((k) => Number(new URL(stack.env[k] ?? 'http://x:1').port));
    const pids = new Set(ports.map((p) => listenerPid(p)).filter((p): p is number => p !== undefined));
    if (offlinePid) for (const p of processTree(offlinePid)) if (labelOf(p) === 'media launcher helpers') pids.add(p.pid);
    for (const p of processTree(1).filter((x) => pids.has(x.pid) && x.state !== 'Z')) {
      const cur = byLabel.get(labelOf(p)) ?? { rssMB: 0, count: 0 };
      byLabel.set(labelOf(p), { rssMB: cur.rssMB + p.rssKb / 1024, count: cur.count + 1 });
    }
  }
  const mbBy: Record<string, number> = {};
  for (const c of COLUMNS) mbBy[c.key] = byLabel.get(c.label)?.rssMB ?? NaN;
  const offline = offlinePid ? processMemory(offlinePid) : undefined;
  return {
    minute: (performance.now() - startedAt) / 60_000,
    mbBy,
    helpers: byLabel.get('media launcher helpers')?.count ?? 0,
    workers: offline?.workerThreads ?? NaN,
    zombies: offline?.zombieChildren ?? NaN,
    self: processMemory(process.pid)?.rssMB ?? NaN,
    load: os.loadavg()[0] ?? NaN,
  };
}

const HEADER = ` min  ${COLUMNS.map((c) => c.key.padStart(9)).join('')}  workers zombies helpers  soak-self  load`;
const row = (s: Sample) =>
  `${s.minute.toFixed(1).padStart(4)}  ${COLUMNS.map((c) => mb(s.mbBy[c.key], 9)).join('')}  ${String(s.workers).padStart(7)} ${String(s.zombies).padStart(7)} ${String(s.helpers).padStart(7)} ${mb(s.self, 10)} ${s.load.toFixed(1).padStart(5)}`;

async function main(): Promise<void> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const stack = await openStack({ url: args.url, keepLogs: path.join(ROOT, '.local', 'soak', stamp, 'logs'), log: console.log });
  let failed = true;
  try {
    const offlinePid = listenerPid(Number(new URL(stack.apiUrl).port || 80));
    const users = await createUsers(USERS, `soak-${stamp.slice(11, 19)}-`);
    const source = await sampleSource(stack, Number(args['source-seconds']) || 20);
    console.log(`API ${stack.apiUrl}; serverless-offline pid ${offlinePid ?? 'not found'}; ${users.length} free-tier users; source ${source}`);
    console.log(`soak: ${MINUTES} min; a job every ${JOB_EVERY_S} s (≈ ${PLANNED_JOBS} jobs), ${RPS} API req/s (${describeMix(SOAK_MIX)}); memory every ${SAMPLE_S} s (MB resident)`);

    // Warm-up (not counted): every route once, one after another, so the soak measures the steady
    // state rather than serverless-offline's first worker starts.
    const warm = performance.now();
    for (const [route, url, body] of [
      ['GET /jobs', '/jobs?limit=20', undefined],
      ['GET /usage', '/usage?limit=20', undefined],
      ['POST /jobs/quote', '/jobs/quote', JSON.stringify({ url: source })],
      ['POST /jobs', '/jobs', JSON.stringify({ url: source, options: JOB_OPTIONS })],
    ] as const) {
      const res = await fetch(stack.apiUrl + url, {
        method: body ? 'POST' : 'GET',
        headers: { authorization: `Bearer ${users[0]!.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body } : {}),
        signal: AbortSignal.timeout(60_000),
      }).catch((err: unknown) => console.log(`warm-up ${route}: ${(err as Error).message}`));
      if (res) noteCreated(users[0]!, res.status, await res.text());
    }
    console.log(`warm-up (each route once) ${((performance.now() - warm) / 1000).toFixed(1)} s`);

    const stats = new TrafficStats();
    const jobStats = new TrafficStats();
    const started = performance.now();
    const endAt = started + MINUTES * 60_000;
    let inFlight = 0;
    let skipped = 0;

    const send = async (method: 'GET' | 'POST', route: string, url: string, user: TrafficUser, body: string | undefined, into: TrafficStats) => {
      const t = performance.now();
      try {
        const res = await fetch(stack.apiUrl + url, {
          method,
          headers: { authorization: `Bearer ${user.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
          ...(body ? { body } : {}),
          signal: AbortSignal.timeout(30_000),
        });
        const text = await res.text();
        into.record(route, res.status, performance.now() - t, text);
        return { status: res.status, text };
      } catch (err) {
        into.recordFailure(route, (err as Error).name === 'TimeoutError' ? 'timeout' : 'fetch-error', (err as Error).message);
        return undefined;
      }
    };

    // The job trickle: users in turn.
    const jobs = (async () => {
      for (let i = 0; performance.now() < endAt; i++) {
        const user = users[i % users.length]!;
        const r = await send('POST', 'POST /jobs', '/jobs', user, JSON.stringify({ url: source, options: JOB_OPTIONS }), jobStats);
        if (r) noteCreated(user, r.status, r.text);
        await sleep(Math.max(0, Math.min(started + (i + 1) * JOB_EVERY_S * 1000, endAt) - performance.now()));
      }
    })();

    // API traffic at a fixed rate (never more than MAX_IN_FLIGHT outstanding).
    const api = (async () => {
      if (RPS === 0) return;
      for (let i = 0; performance.now() < endAt; i++) {
        if (inFlight >= MAX_IN_FLIGHT) skipped++;
        else {
          const plan = planRequest(users, SOAK_MIX, source);
          inFlight++;
          void send(plan.method, plan.route, plan.path, plan.user, plan.body, stats).finally(() => inFlight--);
        }
        await sleep(Math.max(0, started + ((i + 1) * 1000) / RPS - performance.now()));
      }
    })();

    // Memory every SAMPLE_S seconds, tokens renewed before they expire (30 minutes).
    const samples: Sample[] = [];
    console.log(HEADER);
    const sampler = (async () => {
      for (let i = 0; ; i++) {
        const s = sampleStack(stack, offlinePid, started);
        samples.push(s);
        console.log(row(s));
        const refreshed = await refreshTokens(users).catch((err: unknown) => {
          console.log(`token refresh failed: ${(err as Error).message}`);
          return 0;
        });
        if (refreshed) console.log(`      (signed ${refreshed} users in again)`);
        const next = started + (i + 1) * SAMPLE_S * 1000;
        if (next > endAt + SAMPLE_S * 500) break;
        await sleep(Math.max(0, next - performance.now()));
      }
    })();

    await Promise.all([jobs, api, sampler]);
    while (inFlight > 0) await sleep(100);
    const elapsed = (performance.now() - started) / 1000;

    console.log(`\n=== soak: ${MINUTES} min, ${users.length} users ===`);
    console.log('memory over time (MB resident; workers = worker threads of serverless-offline, zombies = its exited, not reaped children):');
    console.log(HEADER);
    for (const s of samples) console.log(row(s));
    const half = samples.filter((s) => s.minute >= MINUTES / 2);
    console.log('\nslope (MB/hour, least squares):            all samples   second half   first → last MB   peak MB');
    const series = (key: string, pick: (s: Sample) => number) => {
      const pts = samples.map((s) => ({ x: s.minute / 60, y: pick(s) })).filter((p) => !Number.isNaN(p.y));
      const pts2 = half.map((s) => ({ x: s.minute / 60, y: pick(s) })).filter((p) => !Number.isNaN(p.y));
      const first = pts[0]?.y;
      const last = pts.at(-1)?.y;
      const peak = Math.max(...pts.map((p) => p.y));
      console.log(`  ${key.padEnd(40)} ${slope(pts).toFixed(1).padStart(12)} ${slope(pts2).toFixed(1).padStart(13)}   ${mb(first, 6)} → ${mb(last, 6)} ${mb(peak, 9)}`);
    };
    for (const c of COLUMNS) series(c.label, (s) => s.mbBy[c.key] ?? NaN);
    series('soak process (this script)', (s) => s.self);
    const workerPts = samples.map((s) => ({ x: s.minute / 60, y: s.workers })).filter((p) => !Number.isNaN(p.y));
    console.log(`  serverless-offline worker threads: ${workerPts[0]?.y ?? '-'} → ${workerPts.at(-1)?.y ?? '-'} (peak ${Math.max(...workerPts.map((p) => p.y))}); not-reaped children at the end: ${samples.at(-1)?.zombies ?? '-'}`);

    console.log('\nAPI traffic:');
    stats.print(elapsed);
    console.log(`  (${skipped} requests not sent: ${MAX_IN_FLIGHT} already in flight)`);
    console.log('\njob submissions:');
    jobStats.print(elapsed);

    const created = users.reduce((n, u) => n + u.jobIds.length, 0);
    console.log(`\ngrace period: up to ${GRACE_MS / 1000} s for the ${created} jobs to end…`);
    const settled = await waitForTerminal(users, GRACE_MS);
    const all = [...settled.jobs.values()].flat();
    const durations = all
      .filter((j) => j.finishedAt)
      .map((j) => Date.parse(j.finishedAt!) - Date.parse(j.createdAt))
      .sort((a, b) => a - b);
    const q = (p: number) => (durations.length ? (durations[Math.min(durations.length - 1, Math.ceil(p * durations.length) - 1)]! / 1000).toFixed(1) : '-');
    const byStatus = new Map<string, number>();
    for (const j of all) byStatus.set(j.status, (byStatus.get(j.status) ?? 0) + 1);
    const codes = new Map<string, number>();
    for (const j of all.filter((x) => x.status === 'failed')) codes.set(j.error?.code ?? '?', (codes.get(j.error?.code ?? '?') ?? 0) + 1);
    console.log(`jobs: ${all.length} (${[...byStatus].map(([k, v]) => `${k} ${v}`).join(', ')}); created → finished p50 ${q(0.5)} s, p95 ${q(0.95)} s, max ${q(1)} s${codes.size ? `; failed by code: ${[...codes].map(([k, v]) => `${k} ${v}`).join(', ')}` : ''}`);
    console.log(`jobs stuck (not terminal ${(settled.waitedMs / 1000).toFixed(0)} s after the end): ${settled.notTerminal.length}`);
    for (const j of settled.notTerminal.slice(0, 10)) console.log(`  stuck: ${j.jobId} ${j.status} at ${j.stage ?? '-'} since ${j.updatedAt}`);
    const ledger = await checkLedger(users, settled.jobs);
    printLedgerReport(ledger);

    const unexpected = stats.unexpected + jobStats.unexpected;
    const targets = [
      { name: 'jobs stuck', value: settled.notTerminal.length },
      { name: 'double charges', value: ledger.doubleCharges.length },
      { name: 'ledger invariant violations', value: ledger.violations.length },
      { name: 'errors other than 402/429', value: unexpected },
    ];
    console.log('\ntargets:');
    for (const t of targets) console.log(`  ${t.name.padEnd(30)} ${String(t.value).padStart(6)}  (target 0) ${t.value === 0 ? 'met' : 'MISSED'}`);
    failed = targets.some((t) => t.value !== 0);
  } finally {
    await stack.stop();
  }
  if (stack.logsDir) {
    console.log(`\nstack logs: ${stack.logsDir}`);
    summarizeOfflineLog(path.join(stack.logsDir, 'serverless-offline.log'));
  }
  process.exitCode = failed ? 1 : 0;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
