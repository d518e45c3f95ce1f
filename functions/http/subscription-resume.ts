import { route, json } from '../../lib/http/http.ts';
import { setCancelAtPeriodEnd } from '../../lib/billing/subscriptions.ts';
import { billingDeps } from '../../lib/billing/service.ts';
import { meter } from '../../lib/billing/usage-middleware.ts';

/** POST /subscription/resume: undo a pending cancellation. */
export const handler = route({ use: [meter()] }, async ({ user }) => {
  const a = await setCancelAtPeriodEnd(user.sub, false, await billingDeps());
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
