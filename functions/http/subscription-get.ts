import { route, json } from '../../lib/http/http.ts';
import { getAccount, subscriptionView } from '../../lib/billing/account.ts';
import { meter } from '../../lib/billing/usage-middleware.ts';

/** GET /subscription → tier, status, interval, period end, cancel-at-period-end, limits. */
export const handler = route({ use: [meter()] }, async ({ user }) => {
  const a = await getAccount(user.sub);
  return json(200, subscriptionView(a));
});
