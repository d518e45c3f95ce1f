import { route, json } from '../../lib/http/http.ts';
import { getJobQuerySchema } from '../../lib/contracts/jobs.ts';
import { etagOf, getJob, jobView, seqFromEtag, waitForChange } from '../../lib/jobs/api.ts';
import { productionDeps } from '../../lib/jobs/adapters.ts';

/**
 * GET /jobs/{id}[?wait=N] → 200 job with an ETag; 304 when If-None-Match still matches. With
 * `wait`, the request is held until the job changes (or N seconds pass). Another user's job → 404.
 */
export const handler = route({ query: getJobQuerySchema }, async (req) => {
  const deps = productionDeps();
  const jobId = req.params.id ?? '';
  let job = await getJob(req.user.sub, jobId, deps);
  const seen = seqFromEtag(req.headers['if-none-match'], jobId);
  if (req.query.wait && (seen === undefined || seen === job.seq)) {
    job = await waitForChange(req.user.sub, jobId, job.seq, req.query.wait, deps);
  }
  const headers = { etag: etagOf(job), 'cache-control': 'no-cache' };
  if (seen === job.seq) return json(304, undefined, headers);
  return json(200, jobView(job), headers);
});
