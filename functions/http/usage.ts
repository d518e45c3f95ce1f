import { route, json } from '../../lib/http/http.ts';
import { usageQuery } from '../../lib/contracts/billing.ts';
import { getUsage } from '../../lib/billing/usage.ts';
import { meter } from '../../lib/billing/usage-middleware.ts';

/** GET /usage?cursor&limit → balance, this period's grants and spend, daily usage, ledger page. */
export const handler = route({ query: usageQuery, use: [meter()] }, async ({ user, query }) =>
  json(200, await getUsage(user.sub, query), { 'cache-control': 'no-store' }),
);
