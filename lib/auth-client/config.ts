import { z } from 'zod';

/**
 * The Cognito settings a client needs. They come from the stage's CloudFormation outputs, written
 * to an env file at build time (scripts/stage-env.ts); nothing here is hard-coded.
 */
export const SOCIAL_PROVIDERS = ['Google', 'Facebook'] as const;
export type SocialProvider = (typeof SOCIAL_PROVIDERS)[number];

export const authConfigSchema = z.object({
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as us-east-1'),
  userPoolId: z.string().min(1),
  clientId: z.string().min(1),
  /** Cognito JSON API endpoint; defaults to https://cognito-idp.<region>.amazonaws.com/ */
  endpoint: z.url().optional(),
  /** Hosted UI domain (e.g. clipforge-dev.auth.us-east-1.amazoncognito.com), for social sign-in. */
  hostedUiDomain: z.string().min(1).optional(),
  socialProviders: z.array(z.enum(SOCIAL_PROVIDERS)).default([]),
  /** Refresh this many seconds before the access token expires. */
  refreshMarginSeconds: z.number().int().min(0).max(3600).default(120),
});
export type AuthConfig = z.infer<typeof authConfigSchema>;

/** Region from a pool id like `us-east-1_AbC123`; undefined for local ids like `local_clipforge`. */
export function regionFromPoolId(poolId: string): string | undefined {
  const m = /^([a-z]{2}(?:-[a-z]+)+-\d)_/.exec(poolId);
  return m?.[1];
}

function csv(v: string | undefined): string[] {
  return v ? v.split(',').map((s) => s.trim()).filter(Boolean) : [];
}

/**
 * Builds the config from an env record (process.env on a server, import.meta.env in a bundle).
 * `prefix` is prepended to every name, e.g. `WXT_` for the extension.
 * Names: USER_POOL_ID, USER_POOL_CLIENT_ID, AWS_REGION (optional), COGNITO_ENDPOINT (optional),
 * COGNITO_DOMAIN (optional), SOCIAL_PROVIDERS (optional, comma separated: Google,Facebook).
 */
export function authConfigFromEnv(env: Record<string, string | undefined>, prefix = ''): AuthConfig {
  const get = (name: string) => {
    const v = env[prefix + name];
    return v === undefined || v === '' ? undefined : v;
  };
  const userPoolId = get('USER_POOL_ID');
  const raw = {
    region: get('AWS_REGION') ?? (userPoolId ? regionFromPoolId(userPoolId) : undefined) ?? 'us-east-1',
    userPoolId,
    clientId: get('USER_POOL_CLIENT_ID'),
    endpoint: get('COGNITO_ENDPOINT'),
    hostedUiDomain: get('COGNITO_DOMAIN'),
    socialProviders: csv(get('SOCIAL_PROVIDERS')),
  };
  const parsed = authConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${prefix}${String(i.path[0] ?? '')
        .replace('userPoolId', 'USER_POOL_ID')
        .replace('clientId', 'USER_POOL_CLIENT_ID')
        .replace('endpoint', 'COGNITO_ENDPOINT')
        .replace('socialProviders', 'SOCIAL_PROVIDERS')
        .replace('region', 'AWS_REGION')}: ${i.message}`)
      .join('; ');
    throw new Error(`Invalid auth configuration: ${problems}`);
  }
  return parsed.data;
}

export function cognitoEndpoint(config: Pick<AuthConfig, 'endpoint' | 'region'>): string {
  return config.endpoint ?? `https://cognito-idp.${config.region}.amazonaws.com/`;
}
