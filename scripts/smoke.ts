/**
 * Post-deploy smoke test: GET <url>/health until it answers 200 with status "ok" (every dependency
 * reachable), retrying while the deployment settles. Exit 0 on success, 1 otherwise.
 *
 *   node scripts/smoke.ts https://api.dev.clipforge.example [--attempts 10] [--delay 3000] [--stage dev]
 *   API_URL=http://localhost:3000 npm run smoke
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { healthReportSchema, type HealthReportBody } from '../lib/contracts/health.ts';

export interface SmokeOptions {
  url: string;
  attempts?: number;
  delayMs?: number;
  timeoutMs?: number;
  expectStage?: string;
  fetch?: typeof fetch;
  log?: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

export type SmokeResult = { ok: true; attempts: number; report: HealthReportBody } | { ok: false; attempts: number; reason: string };

/** One probe: the reason it failed, or the report. */
async function probe(opts: Required<Pick<SmokeOptions, 'url' | 'timeoutMs' | 'fetch'>> & { expectStage?: string }): Promise<{ report?: HealthReportBody; reason?: string }> {
  const target = new URL('/health', opts.url.endsWith('/') ? opts.url : opts.url + '/').href;
  let res: Response;
  try {
    res = await opts.fetch(target, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(opts.timeoutMs) });
  } catch (err) {
    return { reason: `GET ${target} failed: ${(err as Error).message}` };
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { reason: `GET ${target} → ${res.status}, not JSON: ${text.slice(0, 200)}` };
  }
  const parsed = healthReportSchema.safeParse(body);
  if (!parsed.success) return { reason: `GET ${target} → ${res.status}, unexpected body: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` };
  const report = parsed.data;
  if (res.status !== 200 || report.status !== 'ok') {
    const failing = Object.entries(report.checks).filter(([, c]) => !c.ok).map(([k]) => k);
    return { reason: `GET ${target} → ${res.status} ${report.status}: ${failing.join(', ') || 'no failing check named'}` };
  }
  if (opts.expectStage && report.stage !== opts.expectStage) return { reason: `GET ${target} answered for stage "${report.stage}", expected "${opts.expectStage}"` };
  return { report };
}

export async function smoke(options: SmokeOptions): Promise<SmokeResult> {
  const attempts = options.attempts ?? 10;
  const delayMs = options.delayMs ?? 3000;
  const log = options.log ?? ((line: string) => console.log(line));
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let reason = 'not attempted';
  for (let i = 1; i <= attempts; i++) {
    const result = await probe({ url: options.url, timeoutMs: options.timeoutMs ?? 10_000, fetch: options.fetch ?? fetch, expectStage: options.expectStage });
    if (result.report) {
      log(`smoke: ok after ${i} attempt(s): ${Object.entries(result.report.checks).map(([k, c]) => `${k} ${c.ms} ms`).join(', ')}`);
      return { ok: true, attempts: i, report: result.report };
    }
    reason = result.reason ?? 'unknown';
    log(`smoke: attempt ${i}/${attempts}: ${reason}`);
    if (i < attempts) await sleep(delayMs);
  }
  return { ok: false, attempts, reason };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      attempts: { type: 'string', default: '10' },
      delay: { type: 'string', default: '3000' },
      stage: { type: 'string' },
    },
  });
  const url = positionals[0] ?? process.env.API_URL;
  if (!url || !/^https?:\/\//.test(url)) throw new Error('usage: node scripts/smoke.ts <http(s) base url> (or API_URL)');
  const result = await smoke({ url, attempts: Number(values.attempts), delayMs: Number(values.delay), expectStage: values.stage });
  if (!result.ok) {
    console.error(`smoke: FAILED after ${result.attempts} attempt(s): ${result.reason}`);
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error((err as Error).message);
    process.exit(1);
  });
}
