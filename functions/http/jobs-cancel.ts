import { route, json } from '../../lib/http/http.ts';
import { cancelJob, etagOf, jobView } from '../../lib/jobs/api.ts';
import { productionDeps } from '../../lib/jobs/adapters.ts';

/** POST /jobs/{id}/cancel → 200 the cancelled job (credits refunded); 409 when it already finished. */
export const handler = route({}, async (req) => {
  const job = await cancelJob(req.user.sub, req.params.id ?? '', productionDeps());
  return json(200, jobView(job), { etag: etagOf(job) });
});
