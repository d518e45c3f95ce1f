import { z } from 'zod';

/**
 * Process environment, parsed once with zod. A missing or malformed variable fails the cold start
 * with a message naming it. Only this module reads process.env for application settings.
 */
const optionalUrl = z.url().optional();
const csv = z
  .string()
  .optional()
  .transform((v) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : []));

export const envSchema = z.object({
  STAGE: z.enum(['local', 'test', 'dev', 'staging', 'prod']),
  SERVICE: z.string().default('clipforge'),
  AWS_REGION: z.string().default('us-east-1'),
  TABLE_NAME: z.string().min(1),
  MEDIA_BUCKET: z.string().min(1),
  JOB_EVENTS_TOPIC_ARN: z.string().startsWith('arn:'),
  USER_POOL_ID: z.string().min(1),
  USER_POOL_CLIENT_ID: z.string().min(1),
  /** Local emulators (local/test stages only). */
  DYNAMODB_ENDPOINT: optionalUrl,
  FAUXQS_ENDPOINT: optionalUrl,
  COGNITO_ENDPOINT: optionalUrl,
  /** WebSocket management API endpoint (https://{api}.execute-api.{region}.amazonaws.com/{stage}). */
  WEBSOCKET_API_ENDPOINT: optionalUrl,
  PORTAL_URL: z.url().default('http://localhost:5173'),
  STRIPE_SECRET_KEY: z.string().optional(),
  STRIPE_WEBHOOK_SECRET: z.string().optional(),
  /** Points the official Stripe SDK at the local test double, e.g. http://127.0.0.1:12111 */
  STRIPE_API_BASE: optionalUrl,
  STRIPE_PRICES: z.string().optional(),
  OPENAI_API_KEY: z.string().optional(),
  OPENAI_BASE_URL: optionalUrl,
  OPENAI_TRANSCRIBE_MODEL: z.string().default('whisper-1'),
  OPENAI_SELECT_MODEL: z.string().default('gpt-4o-mini'),
  /** Largest audio chunk sent to the transcription API (bytes, ≤ 24 MB); lower it to force chunking in tests. */
  OPENAI_TRANSCRIBE_CHUNK_BYTES: z.coerce.number().int().min(10_000).max(24_000_000).optional(),
  DOWNLOAD_ALLOW_HOSTS: csv,
  DOWNLOAD_MAX_BYTES: z.coerce.number().int().positive().default(4 * 1024 ** 3),
  /** Optional yt-dlp provider for page URLs (off by default; used only when the binary is found). */
  YTDLP_ENABLED: z
    .enum(['true', 'false', '1', '0', ''])
    .optional()
    .transform((v) => v === 'true' || v === '1'),
  YTDLP_PATH: z.string().optional().transform((v) => v || 'yt-dlp'),
  /** Media tools; empty means "use the npm-installed build" (local stage). */
  FFMPEG_PATH: z.string().optional().transform((v) => v || undefined),
  FFPROBE_PATH: z.string().optional().transform((v) => v || undefined),
  /** Folder of the caption fonts (the media layer's /opt/fonts on AWS); empty → dejavu-fonts-ttf. */
  FONTS_DIR: z.string().optional().transform((v) => v || undefined),
  LOG_LEVEL: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  /** Multiplies every application rate limit of the public /auth routes (lib/auth/rate-limit.ts). */
  AUTH_RATE_LIMIT_FACTOR: z.coerce.number().positive().default(1),
  /** SSM path of this stage's secrets (/clipforge/<stage>/); empty locally. lib/config/secrets.ts */
  SECRETS_PATH: z.string().optional(),
});

export type Config = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function parseConfig(env: Record<string, string | undefined>): Config {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`Invalid environment: ${problems}`);
  }
  const config = result.data;
  const isLocal = config.STAGE === 'local' || config.STAGE === 'test';
  if (!isLocal && (config.DYNAMODB_ENDPOINT || config.COGNITO_ENDPOINT)) {
    throw new ConfigError(`Local emulator endpoints are only allowed on the local stage, not ${config.STAGE}`);
  }
  return config;
}

let cached: Config | undefined;

/** The configuration of this process (parsed on first use, then cached). */
export function config(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}

/** True on the stages that run against the local emulators. */
export function isLocalStage(c: Config = config()): boolean {
  return c.STAGE === 'local' || c.STAGE === 'test';
}

/** For tests: forget the cached configuration after the environment changed. */
export function resetConfigForTests(): void {
  cached = undefined;
}
