import { publicRoute, json } from '../../lib/http/http.ts';
import { handleStripeWebhook } from '../../lib/billing/webhook.ts';
import { webhookDeps } from '../../lib/billing/service.ts';

/**
 * POST /webhooks/stripe: raw body (no JSON parser before it) → signature check → effect + event-id
 * dedupe in one DynamoDB transaction. Bad signature → 400; any failure → 5xx so Stripe retries.
 */
export const handler = publicRoute({}, async ({ event, headers }) =>
  json(200, await handleStripeWebhook({ body: event.body, isBase64Encoded: event.isBase64Encoded, signature: headers['stripe-signature'] }, await webhookDeps())),
);
