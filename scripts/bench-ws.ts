/**
 * npm run bench:ws — event-to-socket latency of the real-time path, on loopback:
 *   publish(job event) → SNS (fauxqs) → NotifierQueue → notifier Lambda (serverless-offline +
 *   serverless-offline-sqs) → postToConnection → the client's WebSocket.
 * For 1 and then 50 connected clients of one user, publishes EVENTS job.progress events one at a
 * time (the next once every socket has the previous one, so this is latency, not queueing) and
 * prints p50 / p99 / max of (frame received − event published) over every (event, socket) pair.
 *
 * Uses the stack described by the environment when WS_URL is set (e.g. `npm run dev` settings),
 * else starts a throw-away one on free ports (like the test harness) and stops it at the end.
 * Options: --events <n> (default 100), --clients 1,50
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';

const { values } = parseArgs({ options: { events: { type: 'string', default: '100' }, clients: { type: 'string', default: '1,50' } } });
const EVENTS = Number(values.events);
const CLIENTS = String(values.clients).split(',').map(Number);
const EVENT_TIMEOUT_MS = 15_000;

type Stop = () => Promise<void>;

async function ensureStack(): Promise<Stop> {
  if (process.env.WS_URL) return async () => undefined;
  const { startStack, freePorts } = await import('./lib/stack.ts');
  const dataDir = mkdtempSync(join(tmpdir(), 'clipforge-bench-'));
  process.stdout.write('starting a throw-away local stack…\n');
  const stack = await startStack({ ports: await freePorts(), dataDir, persist: false, portal: false, log: (l) => process.stdout.write(`  ${l}\n`) });
  Object.assign(process.env, stack.env);
  return async () => {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

interface Client {
  ws: WebSocket;
  /** progress value → receive time (ms) */
  seen: Map<number, number>;
  onFrame?: () => void;
}

function open(url: string): Promise<Client> {
  return new Promise((ok, fail) => {
    const ws = new WebSocket(url);
    const client: Client = { ws, seen: new Map() };
    ws.onerror = () => fail(new Error('WebSocket refused'));
    ws.onopen = () => ok(client);
    ws.onmessage = (e) => {
      const at = performance.timeOrigin + performance.now();
      const m = JSON.parse(String(e.data)) as { type: string; progress?: number };
      if (m.type === 'job.updated' && typeof m.progress === 'number' && !client.seen.has(m.progress)) client.seen.set(m.progress, at);
      client.onFrame?.();
    };
  });
}

/**
 * Opens `n` sockets, 10 at a time, retrying a refused upgrade: serverless-offline cold-starts a
 * worker per concurrent $connect, and set-up is not what this benchmark measures.
 */
async function openMany(url: string, n: number): Promise<Client[]> {
  const openWithRetry = async (): Promise<Client> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await open(url);
      } catch (err) {
        if (attempt >= 4) throw err;
        await new Promise((r) => setTimeout(r, 500 * attempt));
      }
    }
  };
  const out: Client[] = [];
  while (out.length < n) out.push(...(await Promise.all(Array.from({ length: Math.min(10, n - out.length) }, openWithRetry))));
  return out;
}

async function run(clients: number): Promise<{ latencies: number[]; lost: number }> {
  const { createTestUser } = await import('../tests/support/users.ts');
  const { publish } = await import('../lib/jobs/publisher.ts');
  const user = await createTestUser({ prefix: 'bench-ws' });
  const url = `${process.env.WS_URL}?token=${encodeURIComponent(user.accessToken)}`;
  const sockets = await openMany(url, clients);
  const jobId = `bench-${randomUUID()}`;
  const latencies: number[] = [];
  let lost = 0;
  // Warm-up event (cold Lambda bundle, JWKS, connections) — not measured.
  for (let i = -1; i < EVENTS; i++) {
    const progress = i < 0 ? 100 : Math.round((i / EVENTS) * 9999) / 100;
    const all = new Promise<void>((done) => {
      const check = () => sockets.every((s) => s.seen.has(progress)) && done();
      for (const s of sockets) s.onFrame = check;
      setTimeout(done, EVENT_TIMEOUT_MS);
    });
    const sentAt = performance.timeOrigin + performance.now();
    await publish({ type: 'job.progress', jobId, userId: user.sub, status: 'running', stage: 'render', progress });
    await all;
    if (i < 0) continue;
    for (const s of sockets) {
      const got = s.seen.get(progress);
      if (got === undefined) lost++;
      else latencies.push(got - sentAt);
    }
  }
  await Promise.all(sockets.map((s) => new Promise<void>((done) => ((s.ws.onclose = () => done()), s.ws.close()))));
  return { latencies: latencies.sort((a, b) => a - b), lost };
}

async function main(): Promise<void> {
  const stop = await ensureStack();
  try {
    const rows: string[] = [];
    for (const n of CLIENTS) {
      const { latencies, lost } = await run(n);
      const f = (v: number) => `${v.toFixed(1)} ms`.padStart(10);
      rows.push(`${String(n).padStart(7)}  ${String(latencies.length).padStart(10)}  ${String(lost).padStart(4)}  ${f(percentile(latencies, 50))}  ${f(percentile(latencies, 99))}  ${f(latencies.at(-1) ?? NaN)}`);
      process.stdout.write(`measured ${n} client(s)\n`);
    }
    process.stdout.write(`\nevent → socket latency (${EVENTS} events, SNS → SQS → notifier → postToConnection → WebSocket)\n`);
    process.stdout.write(`clients  deliveries  lost         p50         p99         max\n${rows.join('\n')}\n`);
  } finally {
    await stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:ws failed: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
