import { config } from '../config/index.ts';
import { priceCatalog } from './prices.ts';
import { stripe, webhookSecret } from './stripe-client.ts';
import type { BillingDeps } from './subscriptions.ts';
import type { WebhookDeps } from './webhook.ts';

/** Production wiring of the billing functions' dependencies (handlers call these). */
export function billingDeps(): BillingDeps {
  return { stripe: stripe(), prices: priceCatalog(), portalUrl: config().PORTAL_URL };
}

export function webhookDeps(): WebhookDeps {
  return { stripe: stripe(), prices: priceCatalog(), secret: webhookSecret() };
}
