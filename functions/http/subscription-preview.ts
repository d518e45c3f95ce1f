import { route, json } from '../../lib/http/http.ts';
import { subscriptionPreviewQuery } from '../../lib/contracts/billing.ts';
import { previewChange } from '../../lib/billing/subscriptions.ts';
import { billingDeps } from '../../lib/billing/service.ts';
import { meter } from '../../lib/billing/usage-middleware.ts';

/** GET /subscription/preview?tier&interval → what the change would cost (Stripe's preview invoice). */
export const handler = route({ query: subscriptionPreviewQuery, use: [meter()] }, async ({ user, query }) =>
  json(200, await previewChange(user.sub, query, await billingDeps()), { 'cache-control': 'no-store' }),
);
