/**
 * Build-time configuration of the portal and the extension for a deployed stage, from the
 * stage stack's CloudFormation outputs (resources/outputs.yml) — so a build always points at the
 * stack it was deployed with. Writes web/.env.<stage> (read by web/vite.config.ts) and, with
 * --github-env, appends the WXT_ variables for the extension build to $GITHUB_ENV.
 *
 *   node scripts/stage-env.ts --stage dev [--region us-east-1] [--github-env] [--outputs outputs.json] [--shell]
 *   node scripts/stage-env.ts --stage local [--shell]     # the `npm run dev` stack, no AWS
 *
 * --shell prints `export K='v'` lines instead (eval them before `npm run build -w extension`).
 *
 * Needs cloudformation:DescribeStacks (the deploy role) unless --outputs gives a saved
 * `aws cloudformation describe-stacks` answer. Only non-secret values.
 */
import { execFile } from 'node:child_process';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { z } from 'zod';
import { DEFAULT_PORTS } from './lib/stack.ts';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const run = promisify(execFile);

const describeStacksSchema = z.object({
  Stacks: z.array(z.object({ Outputs: z.array(z.object({ OutputKey: z.string(), OutputValue: z.string() })).default([]) })).min(1),
});

export function outputsFrom(describeStacksJson: unknown): Record<string, string> {
  const stack = describeStacksSchema.parse(describeStacksJson).Stacks[0];
  return Object.fromEntries((stack?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
}

export interface StageEnvInput {
  stage: string;
  outputs: Record<string, string>;
  portalUrl: string;
  apiDomain?: string;
  socialProviders?: string[];
}

/** The portal's keys (web/vite.config.ts STAGE_KEYS) and the extension's WXT_ keys. */
export function stageEnv(input: StageEnvInput): { web: Record<string, string>; extension: Record<string, string> } {
  const need = (key: string) => {
    const v = input.outputs[key];
    if (!v) throw new Error(`Stack output ${key} is missing: was clipforge-${input.stage} deployed?`);
    return v;
  };
  const apiUrl = input.outputs.ApiDomainTarget && input.apiDomain ? `https://${input.apiDomain}` : need('HttpApiUrl');
  const wsUrl = need('ServiceEndpointWebsocket');
  const social = (input.socialProviders ?? []).join(',');
  const web = {
    STAGE: input.stage,
    API_URL: apiUrl,
    WS_URL: wsUrl,
    AWS_REGION: need('Region'),
    USER_POOL_ID: need('UserPoolId'),
    USER_POOL_CLIENT_ID: need('UserPoolClientId'),
    COGNITO_DOMAIN: need('UserPoolDomain'),
    SOCIAL_PROVIDERS: social,
    PORTAL_URL: input.portalUrl,
  };
  const extension = {
    WXT_API_URL: apiUrl,
    WXT_WS_URL: wsUrl,
    WXT_USER_POOL_ID: web.USER_POOL_ID,
    WXT_USER_POOL_CLIENT_ID: web.USER_POOL_CLIENT_ID,
    WXT_AUTH_DOMAIN: web.COGNITO_DOMAIN,
    WXT_PORTAL_URL: input.portalUrl,
  };
  return { web, extension };
}

/**
 * The same keys for the local stack (`npm run dev`): its fixed ports (or the *_PORT overrides) and
 * the ids cognito-local is seeded with (serverless.yml params.local). Lets the extension and a
 * production build of the portal point at the laptop.
 */
export function localStageEnv(env: Record<string, string | undefined> = process.env): { web: Record<string, string>; extension: Record<string, string> } {
  const port = (name: string, fallback: number) => Number(env[name] ?? fallback);
  const apiUrl = `http://127.0.0.1:${port('API_PORT', DEFAULT_PORTS.api)}`;
  const wsUrl = `ws://127.0.0.1:${port('WS_PORT', DEFAULT_PORTS.ws)}`;
  const cognito = `http://localhost:${port('COGNITO_PORT', DEFAULT_PORTS.cognito)}`;
  const portalUrl = `http://localhost:${port('PORTAL_PORT', DEFAULT_PORTS.portal)}`;
  const web = {
    STAGE: 'local',
    API_URL: apiUrl,
    WS_URL: wsUrl,
    AWS_REGION: 'us-east-1',
    USER_POOL_ID: LOCAL_POOL.userPoolId,
    USER_POOL_CLIENT_ID: LOCAL_POOL.userPoolClientId,
    COGNITO_ENDPOINT: cognito,
    SOCIAL_PROVIDERS: '',
    PORTAL_URL: portalUrl,
  };
  const extension = {
    WXT_API_URL: apiUrl,
    WXT_WS_URL: wsUrl,
    WXT_COGNITO_ENDPOINT: cognito,
    WXT_USER_POOL_ID: LOCAL_POOL.userPoolId,
    WXT_USER_POOL_CLIENT_ID: LOCAL_POOL.userPoolClientId,
    WXT_PORTAL_URL: portalUrl,
  };
  return { web, extension };
}

/** serverless.yml params.local (cognito-local is seeded with these). */
export const LOCAL_POOL = { userPoolId: 'local_clipforge', userPoolClientId: 'clipforgelocalwebclient' };

/** `export K='v'` lines for `eval "$(npm run -s stage-env -- --stage dev --shell)"`. */
export const toShell = (vars: Record<string, string>) =>
  Object.entries(vars)
    .map(([k, v]) => `export ${k}='${v.replace(/'/g, `'\\''`)}'`)
    .join('\n') + '\n';

export const toDotenv = (vars: Record<string, string>) =>
  Object.entries(vars).map(([k, v]) => {
    if (/[\r\n]/.test(v)) throw new Error(`${k} contains a newline`);
    return `${k}=${v}`;
  }).join('\n') + '\n';

async function serverlessValue(stage: string, path: string): Promise<string> {
  const { stdout } = await run('npx', ['serverless', 'print', '--stage', stage, '--path', path, '--format', 'text'], { cwd: ROOT });
  return stdout.trim();
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      stage: { type: 'string' },
      region: { type: 'string', default: process.env.AWS_REGION ?? 'us-east-1' },
      outputs: { type: 'string' },
      'github-env': { type: 'boolean', default: false },
      shell: { type: 'boolean', default: false },
    },
  });
  const stage = values.stage;
  if (!stage || !['local', 'dev', 'staging', 'prod'].includes(stage)) throw new Error('--stage local|dev|staging|prod is required');
  if (stage === 'local') {
    const local = localStageEnv();
    if (values.shell) {
      process.stdout.write(toShell({ ...local.extension, ...local.web }));
      return;
    }
    process.stdout.write(`# portal\n${toDotenv(local.web)}# extension\n${toDotenv(local.extension)}`);
    return;
  }
  const raw = values.outputs
    ? JSON.parse(await readFile(values.outputs, 'utf8'))
    : JSON.parse((await run('aws', ['cloudformation', 'describe-stacks', '--stack-name', `clipforge-${stage}`, '--region', values.region, '--output', 'json'])).stdout);
  const social = [process.env.GOOGLE_CLIENT_ID ? 'Google' : '', process.env.FACEBOOK_APP_ID ? 'Facebook' : ''].filter(Boolean);
  const env = stageEnv({
    stage,
    outputs: outputsFrom(raw),
    portalUrl: await serverlessValue(stage, 'provider.environment.PORTAL_URL'),
    apiDomain: await serverlessValue(stage, 'params.' + stage + '.apiDomain').catch(() => ''),
    socialProviders: social,
  });
  if (values.shell) {
    process.stdout.write(toShell({ ...env.extension, ...env.web }));
    return;
  }
  const webFile = join(ROOT, 'web', `.env.${stage}`);
  await writeFile(webFile, toDotenv(env.web));
  console.log(`wrote ${webFile}`);
  if (values['github-env']) {
    const target = process.env.GITHUB_ENV;
    if (!target) throw new Error('--github-env needs $GITHUB_ENV');
    await appendFile(target, toDotenv({ ...env.extension, STAGE: stage }));
    console.log(`exported ${Object.keys(env.extension).join(', ')} to $GITHUB_ENV`);
  } else {
    console.log(toDotenv(env.extension));
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error((err as Error).message);
    process.exit(1);
  });
}
