import { route, json } from '../../lib/http/http.ts';
import { setCancelAtPeriodEnd } from '../../lib/billing/subscriptions.ts';
import { billingDeps } from '../../lib/billing/service.ts';
import { meter } from '../../lib/billing/usage-middleware.ts';

/** POST /subscription/cancel: cancel at the end of the paid period. */
export const handler = route({ use: [meter()] }, async ({ user }) => {
  const a = await setCancelAtPeriodEnd(user.sub, true, await billingDeps());
  return json(200, {
    tier: a.tier,
    status: a.status,
    interval: a.interval,
    currentPeriodEnd: a.currentPeriodEnd,
    cancelAtPeriodEnd: a.cancelAtPeriodEnd,
    nextTier: a.nextTier,
    limits: a.limits,
  });
});
