import { route, json } from '../../lib/http/http.ts';
import { meter } from '../../lib/billing/index.ts';
import { quoteBodySchema } from '../../lib/contracts/jobs.ts';
import { quote } from '../../lib/jobs/api.ts';
import { productionDeps } from '../../lib/jobs/adapters.ts';

/** POST /jobs/quote {url | uploadKey} → 200 {durationSeconds, credits, balance, affordable, withinLimits, limits}. */
export const handler = route({ body: quoteBodySchema, use: [meter()] }, async (req) =>
  json(200, await quote(req.user.sub, req.body, productionDeps())),
);
