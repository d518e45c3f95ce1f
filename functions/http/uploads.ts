import { route, json } from '../../lib/http/http.ts';
import { config } from '../../lib/config/index.ts';
import { createUploadBodySchema } from '../../lib/contracts/jobs.ts';
import { createUpload } from '../../lib/jobs/api.ts';
import { productionDeps } from '../../lib/jobs/adapters.ts';

/** POST /uploads {filename, size, contentType} → 201 presigned multipart upload (one URL per part). */
export const handler = route({ body: createUploadBodySchema }, async (req) =>
  json(201, await createUpload(req.user.sub, req.body, config().DOWNLOAD_MAX_BYTES, productionDeps())),
);
