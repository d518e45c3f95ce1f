import { route, json } from '../../lib/http/http.ts';
import { setCancelAtPeriodEnd } from '../../lib/billing/subscriptions.ts';
import { billingDeps } from '../../lib/billing/service.ts';
import { subscriptionView } from '../../lib/billing/account.ts';
import { meter } from '../../lib/billing/usage-middleware.ts';

/** POST /subscription/resume: undo a pending cancellation. */
export const handler = route({ use: [meter()] }, async ({ user }) => {
  const a = await setCancelAtPeriodEnd(user.sub, false, await billingDeps());
  return json(200, subscriptionView(a));
});
