/**
 * npm run load — the HTTP API under concurrent load (autocannon), then the books:
 *
 *   npm run load [-- --connections 50 --seconds 120 --users 8 --settle 180 --timeout 30 --cold]
 *   npm run load -- --url http://127.0.0.1:3000      (an already running `npm run dev`)
 *
 * Starts a throw-away local stack (like the benchmarks; its logs are kept under
 * .local/load/<time>/logs), creates --users free-tier users in cognito-local and a 20 s sample
 * video on the stack's media server, submits one job per user (so GET /jobs/{id} has targets and
 * every route has run once; --cold skips this), then runs autocannon: --connections connections
 * for --seconds, each request drawn from the mix (GET /jobs/{id}, GET /jobs, GET /usage,
 * POST /jobs/quote, POST /jobs with the small source) for a random user. The free tier allows one
 * running job and 30 credits a month per user, so POST /jobs meets 429 TOO_MANY_JOBS and later
 * 402 INSUFFICIENT_CREDITS: both are expected.
 *
 * Prints requests/s, p50/p95/p99 latency per route, the error rate by status, the resident memory
 * of the serverless-offline process (and its worker threads: one per concurrent invocation of a
 * function) sampled every 2 s; then waits up to --settle seconds for every job to end and checks
 * the credit ledger (scripts/lib/traffic.ts checkLedger). Exits 1 when a target is missed:
 * 0 errors other than 402/429 (timeouts and connection errors count), 0 invariant violations or
 * double charges, 0 jobs not terminal after the wait.
 */
import fs from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  JOB_OPTIONS,
  LOAD_MIX,
  TrafficStats,
  checkLedger,
  createUsers,
  describeMix,
  listenerPid,
  mb,
  noteCreated,
  openStack,
  planRequest,
  printLedgerReport,
  processMemory,
  sampleSource,
  summarizeOfflineLog,
  waitForTerminal,
  type PlannedRequest,
  type TrafficUser,
} from './lib/traffic.ts';
import { ROOT } from './lib/stack.ts';


const { values: args } = parseArgs({
  options: {
    connections: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '120' },
    users: { type: 'string', default: '8' },
    url: { type: 'string' },
    settle: { type: 'string', default: '180' },
    timeout: { type: 'string', default: '30' },
    'source-seconds': { type: 'string', default: '20' },
    cold: { type: 'boolean', default: false },
  },
});
const CONNECTIONS = Math.max(1, Number(args.connections) || 50);
const SECONDS = Math.max(1, Number(args.seconds) || 120);
const USERS = Math.max(1, Number(args.users) || 8);
const SETTLE_MS = Math.max(0, Number(args.settle) || 0) * 1000;
const TIMEOUT_S = Math.max(1, Number(args.timeout) || 30);

// autocannon ships no types: the part of its API used here.
interface RequestSpec {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (req: RequestSpec, context: object) => RequestSpec;
  onResponse?: (status: number, body: string, context: object) => void;
}
interface AutocannonClient {
  requestIterator: { requests: RequestSpec[]; rebuildRequest(): void };
  on(event: 'response', fn: (status: number, bytes: number, ms: number) => void): void;
  on(event: 'timeout', fn: () => void): void;
  on(event: 'connError', fn: (err: Error) => void): void;
}
interface AutocannonResult {
  requests: { total: number; average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}
type Autocannon = (
  opts: { url: string; connections: number; duration: number; timeout: number; requests: RequestSpec[]; setupClient: (c: AutocannonClient) => void },
  cb: (err: Error | null, result: AutocannonResult) => void,
) => unknown;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

async function post(apiUrl: string, user: TrafficUser, route: string, body: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(apiUrl + route, { method: 'POST', headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, text: await res.text() };
}

/** Every ~2 s: the serverless-offline process's memory; keeps the peak. */
function memorySampler(pid: number | undefined) {
  const samples: { t: number; rssMB: number; workers: number; zombies: number }[] = [];
  const started = performance.now();
  const take = () => {
    const m = pid ? processMemory(pid) : undefined;
    if (m) samples.push({ t: (performance.now() - started) / 1000, rssMB: m.rssMB, workers: m.workerThreads, zombies: m.zombieChildren });
    return m;
  };
  take();
  const timer = setInterval(take, 2000);
  return {
    take,
    stop: () => clearInterval(timer),
    peak: () => samples.reduce((p, s) => (s.rssMB > p.rssMB ? s : p), samples[0] ?? { t: 0, rssMB: NaN, workers: 0, zombies: 0 }),
    peakWorkers: () => Math.max(0, ...samples.map((s) => s.workers)),
    last: () => samples.at(-1),
  };
}

/** ERROR lines in the stack's logs (copied by dev.ts when it stops). */
function errorLines(dir: string | undefined): { file: string; line: string }[] {
  if (!dir || !fs.existsSync(dir)) return [];
  const out: { file: string; line: string }[] = [];
  for (const f of fs.readdirSync(dir)) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    for (const line of text.split('\n')) if (/"level":"ERROR"|✖|Unhandled exception|\[50\d\]/.test(line)) out.push({ file: f, line: line.slice(0, 600) });
  }
  return out;
}

async function main(): Promise<void> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const keepLogs = path.join(ROOT, '.local', 'load', stamp, 'logs');
  const stack = await openStack({ url: args.url, keepLogs, log: console.log });
  let failed = true;
  let logsDir: string | undefined;
  try {
    const apiPort = Number(new URL(stack.apiUrl).port || 80);
    const offlinePid = listenerPid(apiPort);
    console.log(`API ${stack.apiUrl}; serverless-offline pid ${offlinePid ?? 'not found'}${stack.owned ? ' (throw-away stack)' : ''}`);
    const memory = memorySampler(offlinePid);
    const atStart = memory.take();
    const users = await createUsers(USERS, `load-${stamp.slice(11, 19)}-`);
    const source = await sampleSource(stack, Number(args['source-seconds']) || 20);
    console.log(`${users.length} free-tier users; source ${source}`);

    if (!args.cold) {
      // One quote and one job per user: every route of the mix has run once, GET /jobs/{id} has targets.
      const t = performance.now();
      await Promise.all(
        users.map(async (u) => {
          await post(stack.apiUrl, u, '/jobs/quote', { url: source });
          const r = await post(stack.apiUrl, u, '/jobs', { url: source, options: JOB_OPTIONS });
          noteCreated(u, r.status, r.text);
          if (r.status !== 202) console.log(`warm-up POST /jobs → ${r.status} ${r.text.slice(0, 200)}`);
        }),
      );
      await fetch(`${stack.apiUrl}/usage`, { headers: { authorization: `Bearer ${users[0]!.token}` } }).then((r) => r.text());
      const m = memory.take();
      console.log(`warm-up (a quote and a job per user) ${((performance.now() - t) / 1000).toFixed(1)} s; serverless-offline ${mb(m?.rssMB)} MB, ${m?.workerThreads ?? '-'} worker threads`);
    }

    console.log(`\nload: ${CONNECTIONS} connections for ${SECONDS} s, request timeout ${TIMEOUT_S} s; mix ${describeMix(LOAD_MIX)}`);
    const stats = new TrafficStats();
    const setupClient = (client: AutocannonClient) => {
      // One request in flight per connection: `current` is the one answered, `previous` the one a
      // timeout is reported for (autocannon has already sent the next one when it says so).
      const state: { current?: PlannedRequest; previous?: PlannedRequest; body?: string } = {};
      const spec = client.requestIterator.requests[0]!;
      spec.setupRequest = (req) => {
        const plan = planRequest(users, LOAD_MIX, source);
        state.previous = state.current;
        state.current = plan;
        const headers: Record<string, string> = { ...req.headers, authorization: `Bearer ${plan.user.token}` };
        if (plan.body) headers['content-type'] = 'application/json';
        return { ...req, method: plan.method, path: plan.path, headers, body: plan.body ?? '' };
      };
      spec.onResponse = (status, body) => {
        state.body = body;
        if (state.current?.route === 'POST /jobs') noteCreated(state.current.user, status, body);
      };
      client.requestIterator.rebuildRequest();
      client.on('response', (status, _bytes, ms) => stats.record(state.current?.route ?? '?', status, ms, state.body));
      client.on('timeout', () => stats.recordFailure(state.previous?.route ?? '?', 'timeout', `no answer within ${TIMEOUT_S} s`));
      client.on('connError', (err) => stats.recordFailure(state.current?.route ?? '?', 'conn-error', err.message));
    };
    const started = performance.now();
    const progress = setInterval(() => {
      const m = memory.last();
      const s = (performance.now() - started) / 1000;
      console.log(`  ${s.toFixed(0).padStart(4)} s  ${String(stats.total).padStart(6)} answers (${(stats.total / s).toFixed(1)}/s), ${stats.unexpected} errors; serverless-offline ${mb(m?.rssMB)} MB, ${m?.workers ?? '-'} worker threads; load average ${os.loadavg()[0]!.toFixed(1)}`);
    }, 10_000);
    const result = await new Promise<AutocannonResult>((resolve, reject) =>
      autocannon(
        { url: stack.apiUrl, connections: CONNECTIONS, duration: SECONDS, timeout: TIMEOUT_S, requests: [{ method: 'GET', path: '/jobs' }], setupClient },
        (err, r) => (err ? reject(err) : resolve(r)),
      ),
    );
    clearInterval(progress);
    const elapsed = (performance.now() - started) / 1000;
    const atEnd = memory.take();
    const peak = memory.peak();

    console.log(`\n=== load: ${CONNECTIONS} connections, ${SECONDS} s, ${USERS} users (machine: ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')} over 1/5/15 min) ===`);
    stats.print(elapsed);
    console.log(`autocannon: ${result.requests.total} responses, ${result.requests.average.toFixed(1)} req/s average, ${result.non2xx} non-2xx, ${result.errors} errors (${result.timeouts} timeouts)`);
    console.log(
      `serverless-offline RSS: ${mb(atStart?.rssMB, 0)} MB at start, peak ${mb(peak.rssMB, 0)} MB at ${peak.t.toFixed(0)} s (${peak.workers} worker threads), ${mb(atEnd?.rssMB, 0)} MB at the end; worker threads peak ${memory.peakWorkers()}`,
    );

    const created = users.reduce((n, u) => n + u.jobIds.length, 0);
    console.log(`\nwaiting up to ${SETTLE_MS / 1000} s for every job to end (${created} jobs answered 202)…`);
    const settled = await waitForTerminal(users, SETTLE_MS);
    const all = [...settled.jobs.values()].flat();
    const afterSettle = memory.take();
    memory.stop();
    console.log(`jobs: ${all.length} in the store (${created} answered 202), terminal after ${(settled.waitedMs / 1000).toFixed(0)} s: ${all.length - settled.notTerminal.length}, not terminal: ${settled.notTerminal.length}`);
    for (const j of settled.notTerminal.slice(0, 10)) console.log(`  not terminal: ${j.jobId} ${j.status} at ${j.stage ?? '-'} since ${j.updatedAt}`);
    const failedJobs = all.filter((j) => j.status === 'failed');
    const codes = new Map<string, number>();
    for (const j of failedJobs) codes.set(j.error?.code ?? '?', (codes.get(j.error?.code ?? '?') ?? 0) + 1);
    if (failedJobs.length) console.log(`  failed jobs by code: ${[...codes].map(([k, v]) => `${k} ${v}`).join(', ')}`);
    console.log(`serverless-offline after the wait: ${mb(afterSettle?.rssMB, 0)} MB, ${afterSettle?.workerThreads ?? '-'} worker threads, ${afterSettle?.zombieChildren ?? '-'} exited helpers not reaped`);

    const ledger = await checkLedger(users, settled.jobs);
    printLedgerReport(ledger);

    const targets = [
      { name: 'errors other than 402/429', value: stats.unexpected },
      { name: 'ledger invariant violations', value: ledger.violations.length },
      { name: 'double charges', value: ledger.doubleCharges.length },
      { name: 'jobs not terminal', value: settled.notTerminal.length },
    ];
    console.log('\ntargets:');
    for (const t of targets) console.log(`  ${t.name.padEnd(30)} ${String(t.value).padStart(6)}  (target 0) ${t.value === 0 ? 'met' : 'MISSED'}`);
    failed = targets.some((t) => t.value !== 0);
    logsDir = stack.logsDir;
  } finally {
    await stack.stop();
  }
  if (logsDir) {
    summarizeOfflineLog(path.join(logsDir, 'serverless-offline.log'));
    const errors = errorLines(logsDir).filter((e) => !e.line.includes('Lambda timeout'));
    console.log(`stack logs: ${logsDir} — ${errors.length} other error lines`);
    for (const e of errors.slice(0, 8)) console.log(`  ${e.file}: ${e.line}`);
  }
  process.exitCode = failed ? 1 : 0;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
