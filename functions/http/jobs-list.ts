import { route, json } from '../../lib/http/http.ts';
import { listJobsQuerySchema } from '../../lib/contracts/jobs.ts';
import { listJobs } from '../../lib/jobs/api.ts';
import { productionDeps } from '../../lib/jobs/adapters.ts';

/** GET /jobs?limit&cursor → 200 {items (newest first), nextCursor}. */
export const handler = route({ query: listJobsQuerySchema }, async (req) =>
  json(200, await listJobs(req.user.sub, req.query, productionDeps()), { 'cache-control': 'no-store' }),
);
