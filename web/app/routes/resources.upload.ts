import type { Route } from './+types/resources.upload';
import { completeUploadResponseSchema, createUploadBodySchema, createUploadResponseSchema } from '../../../lib/contracts/jobs.ts';
import { api, ApiError } from '../lib/api.server.ts';
import { jsonError, sessionForResource } from '../lib/resource.server.ts';
import { streamToParts } from '../lib/upload.server.ts';

/**
 * File upload from the job form: the browser posts the file here (same origin: progress events,
 * no CORS on the bucket), and the server streams it into the presigned multipart upload from
 * POST /uploads, part by part, then completes it. Only one part is in memory at a time.
 */
export const loader = () => jsonError(405, 'METHOD_NOT_ALLOWED', 'POST a video file');

export async function action(args: Route.ActionArgs) {
  const { request } = args;
  if (!(await sessionForResource(args))) return jsonError(401, 'UNAUTHORIZED', 'Sign in again');
  const input = createUploadBodySchema.safeParse({
    filename: decodeURIComponent(request.headers.get('X-File-Name') ?? '').replace(/[^\w.\- ]+/g, '_').slice(0, 200) || 'video.mp4',
    size: Number(request.headers.get('Content-Length') ?? 0),
    contentType: request.headers.get('Content-Type') ?? '',
  });
  if (!input.success) return jsonError(400, 'VALIDATION_FAILED', input.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join('; '));
  if (!request.body) return jsonError(400, 'BAD_REQUEST', 'The request has no body');
  try {
    const upload = await api(args, 'POST', '/uploads', createUploadResponseSchema, { body: input.data });
    const parts = await streamToParts(request.body, upload.partSize, upload.parts, input.data.contentType);
    const done = await api(args, 'POST', '/uploads/complete', completeUploadResponseSchema, {
      body: { uploadKey: upload.uploadKey, uploadId: upload.uploadId, parts },
    });
    return Response.json({ uploadKey: done.uploadKey, size: done.size }, { headers: { 'Cache-Control': 'no-store' } });
  } catch (e) {
    if (e instanceof ApiError) return jsonError(e.status, e.code, e.message);
    if (e instanceof Response) return jsonError(401, 'UNAUTHORIZED', 'Sign in again');
    return jsonError(502, 'UPLOAD_FAILED', e instanceof Error ? e.message : 'Upload failed');
  }
}
