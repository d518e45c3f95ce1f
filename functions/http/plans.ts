import { publicRoute, json } from '../../lib/http/http.ts';
import { listPlans } from '../../lib/billing/plans.ts';
import { priceCatalog } from '../../lib/billing/prices.ts';

/** GET /plans (public) → tiers, limits, credit packs. */
export const handler = publicRoute({}, async () => json(200, listPlans(priceCatalog()), { 'cache-control': 'public, max-age=300' }));
