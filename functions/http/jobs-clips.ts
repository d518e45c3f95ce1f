import { route, json } from '../../lib/http/http.ts';
import { listClips } from '../../lib/jobs/api.ts';
import { productionDeps } from '../../lib/jobs/adapters.ts';

/** GET /jobs/{id}/clips → 200 {jobId, status, items: clips with 15-minute presigned URLs}. */
export const handler = route({}, async (req) =>
  json(200, await listClips(req.user.sub, req.params.id ?? '', productionDeps()), { 'cache-control': 'no-store' }),
);
