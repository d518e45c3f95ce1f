import { route, json } from '../../lib/http/http.ts';
import { subscriptionChangeBody } from '../../lib/contracts/billing.ts';
import { changeSubscription } from '../../lib/billing/subscriptions.ts';
import { billingDeps } from '../../lib/billing/service.ts';
import { meter } from '../../lib/billing/usage-middleware.ts';

/** POST /subscription/change {tier, prorationDate?} → upgrade now (prorated) or downgrade at the period end. */
export const handler = route({ body: subscriptionChangeBody, use: [meter()] }, async ({ user, body }) =>
  json(200, await changeSubscription(user.sub, body.tier, await billingDeps(), { prorationDate: body.prorationDate })),
);
