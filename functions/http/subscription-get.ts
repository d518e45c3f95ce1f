import { route, json } from '../../lib/http/http.ts';
import { getAccount } from '../../lib/billing/account.ts';
import { meter } from '../../lib/billing/usage-middleware.ts';

/** GET /subscription → tier, status, interval, period end, cancel-at-period-end, limits. */
export const handler = route({ use: [meter()] }, async ({ user }) => {
  const a = await getAccount(user.sub);
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
