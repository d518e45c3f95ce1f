import { z } from 'zod';
import { authConfigSchema, regionFromPoolId, type AuthConfig } from '../../lib/auth-client/config.ts';

/**
 * The extension's per-stage configuration. It is baked in at build time from WXT_ variables only
 * (public values from the stage's CloudFormation outputs — never secrets). See docs/extension.md.
 */
const httpUrl = z.url({ protocol: /^https?$/ });
export const extensionConfigSchema = z.object({
  apiUrl: httpUrl,
  wsUrl: z.url({ protocol: /^wss?$/ }).optional(),
  portalUrl: httpUrl,
  auth: authConfigSchema,
  /** Hosted UI base URL (https://<prefix>.auth.<region>.amazoncognito.com), for social sign-in. */
  authDomain: httpUrl.optional(),
});
export type ExtensionConfig = z.infer<typeof extensionConfigSchema>;

export const ENV_NAMES = [
  'WXT_API_URL',
  'WXT_WS_URL',
  'WXT_COGNITO_ENDPOINT',
  'WXT_USER_POOL_ID',
  'WXT_USER_POOL_CLIENT_ID',
  'WXT_PORTAL_URL',
  'WXT_AUTH_DOMAIN',
] as const;

export class ExtensionConfigError extends Error {
  override name = 'ExtensionConfigError';
}

const trimSlash = (v: string) => v.replace(/\/+$/, '');

/** Parses the WXT_ values (import.meta.env in the bundle, process.env in tests and wxt.config). */
export function parseExtensionConfig(env: Record<string, unknown>): ExtensionConfig {
  const get = (name: (typeof ENV_NAMES)[number]) => {
    const v = env[name];
    return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
  };
  const userPoolId = get('WXT_USER_POOL_ID');
  const authDomain = get('WXT_AUTH_DOMAIN');
  const raw = {
    apiUrl: get('WXT_API_URL') && trimSlash(get('WXT_API_URL') ?? ''),
    wsUrl: get('WXT_WS_URL'),
    portalUrl: get('WXT_PORTAL_URL') && trimSlash(get('WXT_PORTAL_URL') ?? ''),
    authDomain: authDomain && trimSlash(/^https?:\/\//.test(authDomain) ? authDomain : `https://${authDomain}`),
    auth: {
      region: (userPoolId && regionFromPoolId(userPoolId)) ?? 'us-east-1',
      userPoolId,
      clientId: get('WXT_USER_POOL_CLIENT_ID'),
      endpoint: get('WXT_COGNITO_ENDPOINT'),
      hostedUiDomain: authDomain,
      refreshMarginSeconds: 300,
    },
  };
  const parsed = extensionConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const names: Record<string, string> = {
      apiUrl: 'WXT_API_URL',
      wsUrl: 'WXT_WS_URL',
      portalUrl: 'WXT_PORTAL_URL',
      authDomain: 'WXT_AUTH_DOMAIN',
      'auth.userPoolId': 'WXT_USER_POOL_ID',
      'auth.clientId': 'WXT_USER_POOL_CLIENT_ID',
      'auth.endpoint': 'WXT_COGNITO_ENDPOINT',
    };
    const problems = parsed.error.issues.map((i) => `${names[i.path.join('.')] ?? i.path.join('.')}: ${i.message}`);
    throw new ExtensionConfigError(`Invalid extension configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** Origin match pattern for a URL, e.g. https://api.example.com/* (ports are ignored by Chrome). */
export function originPattern(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.hostname}/*`;
}

/** Loopback API = a local-stage build (content script also runs on local test pages). */
export function isLocalBuild(apiUrl: string | undefined): boolean {
  if (!apiUrl) return false;
  const host = new URL(apiUrl).hostname;
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
}

export type { AuthConfig };
