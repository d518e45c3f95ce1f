/**
 * The secrets of the app: env name → SSM parameter name under `/<service>/<stage>/`. No imports, so
 * resources/iam.cjs can read it at package time to grant each function group only its own.
 */
export const SECRET_PARAMETERS = {
  STRIPE_SECRET_KEY: 'stripe-secret-key',
  STRIPE_WEBHOOK_SECRET: 'stripe-webhook-secret',
  OPENAI_API_KEY: 'openai-api-key',
} as const;
export type SecretEnvName = keyof typeof SECRET_PARAMETERS;

/**
 * Which secrets each function group reads (and is allowed to read: resources/iam.cjs). The code
 * that needs a secret asks for exactly these names (lib/billing/service.ts, lib/jobs/runtime.ts).
 */
export const GROUP_SECRETS = {
  http: ['STRIPE_SECRET_KEY'],
  media: ['OPENAI_API_KEY'],
  pipeline: [],
  webhooks: ['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET'],
} as const satisfies Record<string, readonly SecretEnvName[]>;
