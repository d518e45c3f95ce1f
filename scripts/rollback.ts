/**
 * Rolls a stage back to the previous deployment artifact (the CloudFormation template + zips that
 * `serverless deploy` keeps in the deployment bucket), then runs the /health smoke test.
 *
 *   node scripts/rollback.ts --stage prod                 # previous deployment
 *   node scripts/rollback.ts --stage prod --timestamp 1764130000000
 *   node scripts/rollback.ts --stage prod --dry-run       # only print what it would do
 *
 * Needs the deploy role's credentials (deploy.yml "rollback" job, or a shell with AWS_PROFILE).
 * Data is not rolled back: tables, buckets and the user pool are retained resources.
 */
import { execFile } from 'node:child_process';
import { parseArgs, promisify } from 'node:util';
import { pathToFileURL } from 'node:url';
import { smoke } from './smoke.ts';

const run = promisify(execFile);

/** Timestamps (ms) in `serverless deploy list` output, oldest first. */
export function parseDeployList(output: string): string[] {
  return [...output.matchAll(/^\s*Timestamp:\s*(\d{10,})\s*$/gm)].map((m) => m[1] as string);
}

/** The deployment to return to: the one before the newest (the newest is what is live). */
export function previousTimestamp(timestamps: string[], current?: string): string {
  const sorted = [...new Set(timestamps)].sort((a, b) => Number(a) - Number(b));
  const live = current ?? sorted.at(-1);
  const before = sorted.filter((t) => Number(t) < Number(live));
  const target = before.at(-1);
  if (!target) throw new Error(`No deployment older than ${live ?? '(none)'} to roll back to (found ${sorted.length}).`);
  return target;
}

/** The live stack's HttpApiUrl output, for the smoke test. */
export function httpApiUrlFromInfo(output: string): string | undefined {
  return /HttpApiUrl:\s*(https?:\/\/\S+)/.exec(output)?.[1];
}

type Exec = (args: string[]) => Promise<string>;
const serverless: Exec = async (args) => {
  const { stdout, stderr } = await run('npx', ['serverless', ...args], { maxBuffer: 16 * 1024 * 1024 });
  return stdout + stderr;
};

export async function rollback(opts: { stage: string; region: string; timestamp?: string; dryRun: boolean; exec?: Exec; log?: (l: string) => void }): Promise<string> {
  const exec = opts.exec ?? serverless;
  const log = opts.log ?? console.log;
  const common = ['--stage', opts.stage, '--region', opts.region];
  const target = opts.timestamp ?? previousTimestamp(parseDeployList(await exec(['deploy', 'list', ...common])));
  log(`rollback: ${opts.stage} → deployment ${target} (${new Date(Number(target)).toISOString()})`);
  if (opts.dryRun) return target;
  await exec(['rollback', '--timestamp', target, ...common]);
  const url = httpApiUrlFromInfo(await exec(['info', '--verbose', ...common]));
  if (!url) throw new Error('Rolled back, but HttpApiUrl is not among the stack outputs: run the smoke test by hand.');
  const result = await smoke({ url, attempts: 10, delayMs: 3000, log });
  if (!result.ok) throw new Error(`Rolled back to ${target}, but the smoke test fails: ${result.reason}`);
  return target;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      stage: { type: 'string' },
      region: { type: 'string', default: process.env.AWS_REGION ?? 'us-east-1' },
      timestamp: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
    },
  });
  if (!values.stage || !['dev', 'staging', 'prod'].includes(values.stage)) throw new Error('--stage dev|staging|prod is required');
  if (values.timestamp && !/^\d{10,}$/.test(values.timestamp)) throw new Error('--timestamp must be the numeric timestamp from `serverless deploy list`');
  await rollback({ stage: values.stage, region: values.region, timestamp: values.timestamp, dryRun: values['dry-run'] });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error((err as Error).message);
    process.exit(1);
  });
}
