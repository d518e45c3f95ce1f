import { config } from '../config/index.ts';
import { GROUP_SECRETS } from '../config/secret-names.ts';
import { ensureSecrets } from '../config/secrets.ts';
import { priceCatalog } from './prices.ts';
import { stripe, webhookSecret } from './stripe-client.ts';
import type { BillingDeps } from './subscriptions.ts';
import type { WebhookDeps } from './webhook.ts';

/**
 * Production wiring of the billing handlers' dependencies. Secrets (Stripe keys) come from SSM on
 * AWS stages, loaded once per cold start; locally from the environment.
 */
export async function billingDeps(): Promise<BillingDeps> {
  await ensureSecrets(GROUP_SECRETS.http);
  return { stripe: stripe(), prices: priceCatalog(), portalUrl: config().PORTAL_URL };
}

export async function webhookDeps(): Promise<WebhookDeps> {
  await ensureSecrets(GROUP_SECRETS.webhooks);
  return { stripe: stripe(), prices: priceCatalog(), secret: webhookSecret() };
}
