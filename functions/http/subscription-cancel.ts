import { route, json } from '../../lib/http/http.ts';
import { setCancelAtPeriodEnd } from '../../lib/billing/subscriptions.ts';
import { billingDeps } from '../../lib/billing/service.ts';
import { subscriptionView } from '../../lib/billing/account.ts';
import { meter } from '../../lib/billing/usage-middleware.ts';

/** POST /subscription/cancel: cancel at the end of the paid period. */
export const handler = route({ use: [meter()] }, async ({ user }) => {
  const a = await setCancelAtPeriodEnd(user.sub, true, await billingDeps());
  return json(200, subscriptionView(a));
});
