import { route, json } from '../../lib/http/http.ts';
import { adminUsageQuery } from '../../lib/contracts/billing.ts';
import { usageReport } from '../../lib/billing/usage.ts';

/** GET /admin/usage?from&to&userId (admin) → metered calls per user and route. */
export const handler = route({ query: adminUsageQuery, roles: ['admin'] }, async ({ query }) => json(200, await usageReport(query)));
