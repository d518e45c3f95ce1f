import { route, json } from '../../lib/http/http.ts';
import { config } from '../../lib/config/index.ts';
import { completeUploadBodySchema } from '../../lib/contracts/jobs.ts';
import { completeUpload } from '../../lib/jobs/api.ts';
import { productionDeps } from '../../lib/jobs/adapters.ts';

/** POST /uploads/complete {uploadKey, uploadId, parts[{partNumber, etag}]} → 200 {uploadKey, size}. */
export const handler = route({ body: completeUploadBodySchema }, async (req) =>
  json(200, await completeUpload(req.user.sub, req.body, config().DOWNLOAD_MAX_BYTES, productionDeps())),
);
