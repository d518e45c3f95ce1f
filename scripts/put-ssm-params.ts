/**
 * Writes a stage's secrets from the environment (GitHub environment secrets in deploy.yml) to SSM
 * Parameter Store as SecureString `/<service>/<stage>/<name>` (names: lib/config/secrets.ts).
 *
 *   STRIPE_SECRET_KEY=... STRIPE_WEBHOOK_SECRET=... OPENAI_API_KEY=... \
 *     node scripts/put-ssm-params.ts --stage prod [--service clipforge] [--allow-missing] [--dry-run]
 *
 * A missing secret fails the run (the stage would deploy without it) unless --allow-missing.
 * Values are never printed. Requires ssm:PutParameter on the path (the deploy role).
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { SSMClient, PutParameterCommand } from '@aws-sdk/client-ssm';
import { SECRET_PARAMETERS, secretsPath, type SecretEnvName } from '../lib/config/secrets.ts';

export const DEPLOY_STAGES = ['dev', 'staging', 'prod'] as const;

export interface ParameterWrite {
  env: SecretEnvName;
  name: string;
  value: string;
}

/** Pure: which parameters to write for a stage, and which secrets are missing. */
export function planWrites(service: string, stage: string, env: Record<string, string | undefined>): { writes: ParameterWrite[]; missing: SecretEnvName[] } {
  if (!(DEPLOY_STAGES as readonly string[]).includes(stage)) throw new Error(`Unknown stage "${stage}" (expected ${DEPLOY_STAGES.join(', ')})`);
  if (!/^[a-z][a-z0-9-]*$/.test(service)) throw new Error(`Invalid service name "${service}"`);
  const writes: ParameterWrite[] = [];
  const missing: SecretEnvName[] = [];
  for (const [key, suffix] of Object.entries(SECRET_PARAMETERS) as [SecretEnvName, string][]) {
    const value = env[key]?.trim();
    if (value) writes.push({ env: key, name: secretsPath(service, stage) + suffix, value });
    else missing.push(key);
  }
  return { writes, missing };
}

export type PutParameter = (w: ParameterWrite) => Promise<void>;

export const ssmPut = (client = new SSMClient({})): PutParameter => async (w) => {
  await client.send(new PutParameterCommand({ Name: w.name, Value: w.value, Type: 'SecureString', Overwrite: true, Tier: 'Standard' }));
};

export async function putParams(opts: { service: string; stage: string; env: Record<string, string | undefined>; allowMissing: boolean; put: PutParameter; log: (line: string) => void }): Promise<number> {
  const { writes, missing } = planWrites(opts.service, opts.stage, opts.env);
  if (missing.length && !opts.allowMissing) {
    throw new Error(`Missing secrets for ${opts.stage}: ${missing.join(', ')} (set them as GitHub environment secrets, or pass --allow-missing)`);
  }
  for (const w of writes) {
    await opts.put(w);
    opts.log(`wrote ${w.name} (SecureString, ${w.value.length} chars) from ${w.env}`);
  }
  for (const m of missing) opts.log(`skipped ${secretsPath(opts.service, opts.stage)}${SECRET_PARAMETERS[m]}: ${m} not set`);
  return writes.length;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      stage: { type: 'string' },
      service: { type: 'string', default: 'clipforge' },
      'allow-missing': { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
    },
  });
  if (!values.stage) throw new Error('--stage is required');
  const dryRun = values['dry-run'];
  const count = await putParams({
    service: values.service,
    stage: values.stage,
    env: process.env,
    allowMissing: values['allow-missing'],
    put: dryRun ? async () => {} : ssmPut(),
    log: (line) => console.log(dryRun ? `[dry-run] ${line}` : line),
  });
  console.log(`${count} parameter(s) ${dryRun ? 'would be ' : ''}written.`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error((err as Error).message);
    process.exit(1);
  });
}
