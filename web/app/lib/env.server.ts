import { z } from 'zod';
import { authConfigFromEnv, type AuthConfig } from '../../../lib/auth-client/index.ts';

/**
 * The portal server's settings, parsed once with zod. Sources, later wins: the stage file baked in
 * at build time (web/.env.<stage>, see vite.config.ts), then process.env. Only `publicEnv()` ever
 * reaches the browser.
 */
/** Injected by vite.config.ts (`define`): the stage's non-secret settings from web/.env.<stage>. */
declare const __STAGE_ENV__: Record<string, string> | undefined;

const schema = z.object({
  STAGE: z.enum(['local', 'test', 'dev', 'staging', 'prod']).default('local'),
  API_URL: z.url().default('http://localhost:3000'),
  WS_URL: z.url().default('ws://localhost:3001'),
  /** Public origin of the portal (used for CSRF checks behind proxies and for OAuth redirects). */
  PORTAL_URL: z.url().optional(),
  /** Encrypts the session cookie. Required outside local/test. At least 32 characters. */
  SESSION_SECRET: z.string().min(32).optional(),
  USER_POOL_ID: z.string().min(1).default('local_clipforge'),
  USER_POOL_CLIENT_ID: z.string().min(1).default('clipforgelocalwebclient'),
  COGNITO_ENDPOINT: z.url().optional(),
  COGNITO_DOMAIN: z.string().optional(),
  SOCIAL_PROVIDERS: z.string().optional(),
  AWS_REGION: z.string().optional(),
});
export type PortalEnv = z.infer<typeof schema> & { SESSION_SECRET: string; auth: AuthConfig; isLocal: boolean };

const LOCAL_DEV_SECRET = 'clipforge-local-development-session-secret-not-for-deployed-stages';

export function parsePortalEnv(source: Record<string, string | undefined>): PortalEnv {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    throw new Error(`Invalid portal environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const env = parsed.data;
  const isLocal = env.STAGE === 'local' || env.STAGE === 'test';
  if (!isLocal && !env.SESSION_SECRET) throw new Error('Invalid portal environment: SESSION_SECRET is required outside the local stage');
  if (!isLocal && env.COGNITO_ENDPOINT) throw new Error('Invalid portal environment: COGNITO_ENDPOINT is only allowed on the local stage');
  const auth = authConfigFromEnv({
    USER_POOL_ID: env.USER_POOL_ID,
    USER_POOL_CLIENT_ID: env.USER_POOL_CLIENT_ID,
    COGNITO_ENDPOINT: env.COGNITO_ENDPOINT ?? (isLocal ? 'http://localhost:9229' : undefined),
    COGNITO_DOMAIN: env.COGNITO_DOMAIN,
    SOCIAL_PROVIDERS: env.SOCIAL_PROVIDERS,
    AWS_REGION: env.AWS_REGION,
  });
  return { ...env, SESSION_SECRET: env.SESSION_SECRET ?? LOCAL_DEV_SECRET, auth, isLocal };
}

let cached: PortalEnv | undefined;
export function portalEnv(): PortalEnv {
  if (!cached) {
    const baked = typeof __STAGE_ENV__ === 'object' ? __STAGE_ENV__ : {};
    const fromProcess = Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined && v !== ''));
    cached = parsePortalEnv({ ...baked, ...fromProcess });
  }
  return cached;
}

/** The whitelist of settings the browser may see. */
export interface PublicEnv {
  STAGE: string;
  SOCIAL_PROVIDERS: string[];
}
export function publicEnv(env: PortalEnv = portalEnv()): PublicEnv {
  return { STAGE: env.STAGE, SOCIAL_PROVIDERS: env.auth.hostedUiDomain ? env.auth.socialProviders : [] };
}
