import { SSMClient, GetParametersCommand } from '@aws-sdk/client-ssm';
import { resetConfigForTests } from './index.ts';
import { SECRET_PARAMETERS, type SecretEnvName } from './secret-names.ts';

/**
 * Secrets live in SSM Parameter Store as SecureString under `/<service>/<stage>/<name>`
 * (written by scripts/put-ssm-params.ts from GitHub environment secrets; docs/aws-configuration.md).
 * On AWS stages the Lambda environment carries only SECRETS_PATH; `loadSecrets()` fetches the
 * values a function group needs once per cold start (ssm:GetParameters on exactly those parameters,
 * granted by resources/iam.cjs from GROUP_SECRETS) and puts them into process.env before `config()`
 * parses it. Locally SECRETS_PATH is empty and the values
 * come from the environment as before.
 */
export { SECRET_PARAMETERS, type SecretEnvName } from './secret-names.ts';

/** `/clipforge/prod/` + `stripe-secret-key`. */
export function secretsPath(service: string, stage: string): string {
  return `/${service}/${stage}/`;
}

export type FetchParameters = (names: string[]) => Promise<Record<string, string>>;

/** Real fetcher: one GetParameters call (≤ 10 names) with decryption. Unknown names are skipped. */
export function ssmFetcher(client: SSMClient = new SSMClient({})): FetchParameters {
  return async (names) => {
    const out = await client.send(new GetParametersCommand({ Names: names, WithDecryption: true }));
    const values: Record<string, string> = {};
    for (const p of out.Parameters ?? []) if (p.Name && p.Value !== undefined) values[p.Name] = p.Value;
    return values;
  };
}

/**
 * Fills the secret variables that are not already set from SSM under env.SECRETS_PATH.
 * Returns the names it set. Does nothing without SECRETS_PATH.
 */
export async function loadSecrets(
  env: Record<string, string | undefined> = process.env,
  fetch: FetchParameters = ssmFetcher(),
  names: readonly SecretEnvName[] = Object.keys(SECRET_PARAMETERS) as SecretEnvName[],
): Promise<SecretEnvName[]> {
  const prefix = env.SECRETS_PATH;
  if (!prefix) return [];
  if (!/^\/[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*\/$/.test(prefix)) throw new Error(`SECRETS_PATH must look like /service/stage/, got ${prefix}`);
  const missing = names.filter((k) => !env[k]);
  if (missing.length === 0) return [];
  const values = await fetch(missing.map((k) => prefix + SECRET_PARAMETERS[k]));
  const set: SecretEnvName[] = [];
  for (const k of missing) {
    const v = values[prefix + SECRET_PARAMETERS[k]];
    if (v) {
      env[k] = v;
      set.push(k);
    }
  }
  return set;
}

const pending = new Map<string, Promise<SecretEnvName[]>>();

/**
 * Once per process and set of names: load those secrets into process.env and make config() re-read
 * it. Ask only for what the caller's function group may read (GROUP_SECRETS): SSM refuses the
 * whole GetParameters call when one name is not granted.
 */
export function ensureSecrets(names: readonly SecretEnvName[]): Promise<SecretEnvName[]> {
  const id = [...names].sort().join(',');
  let p = pending.get(id);
  if (!p) {
    p = loadSecrets(process.env, ssmFetcher(), names).then(
      (set) => {
        if (set.length) resetConfigForTests();
        return set;
      },
      (err: unknown) => {
        pending.delete(id); // retry on the next invocation
        throw err;
      },
    );
    pending.set(id, p);
  }
  return p;
}
