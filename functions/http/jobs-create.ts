import { route, json } from '../../lib/http/http.ts';
import { meter } from '../../lib/billing/index.ts';
import { createJobBodySchema } from '../../lib/contracts/jobs.ts';
import { createJob } from '../../lib/jobs/api.ts';
import { productionDeps } from '../../lib/jobs/adapters.ts';

/**
 * POST /jobs → 202 {jobId, status:"queued", creditsReserved}; 400 bad options or source, 402 short
 * on credits, 409 Idempotency-Key reused with another body, 413 too long for the tier, 429 too
 * many running jobs. The same Idempotency-Key returns the same job.
 */
export const handler = route({ body: createJobBodySchema, use: [meter()] }, async (req) => {
  const created = await createJob(req.user.sub, req.body, req.headers['idempotency-key'], productionDeps());
  return json(202, created, { location: `/jobs/${created.jobId}` });
});
