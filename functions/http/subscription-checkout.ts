import { route, json } from '../../lib/http/http.ts';
import { subscriptionCheckoutBody } from '../../lib/contracts/billing.ts';
import { createSubscriptionCheckout } from '../../lib/billing/subscriptions.ts';
import { billingDeps } from '../../lib/billing/service.ts';
import { meter } from '../../lib/billing/usage-middleware.ts';

/** POST /subscription/checkout {tier, interval} → {url} of a Stripe Checkout session. */
export const handler = route({ body: subscriptionCheckoutBody, use: [meter()] }, async ({ user, body }) =>
  json(200, await createSubscriptionCheckout({ userId: user.sub, email: user.email }, body, await billingDeps())),
);
