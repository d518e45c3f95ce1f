import { route, json } from '../../lib/http/http.ts';
import { creditsCheckoutBody } from '../../lib/contracts/billing.ts';
import { createPackCheckout } from '../../lib/billing/subscriptions.ts';
import { billingDeps } from '../../lib/billing/service.ts';
import { meter } from '../../lib/billing/usage-middleware.ts';

/** POST /credits/checkout {pack} → {url} of a one-time Stripe Checkout session. */
export const handler = route({ body: creditsCheckoutBody, use: [meter()] }, async ({ user, body }) =>
  json(200, await createPackCheckout({ userId: user.sub, email: user.email }, body.pack, await billingDeps())),
);
