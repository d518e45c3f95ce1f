import { z } from 'zod';
import type { Route } from './+types/resources.clip-download';
import { clipsResponseSchema } from '../../../lib/contracts/jobs.ts';
import { api, ApiError } from '../lib/api.server.ts';
import { jsonError } from '../lib/resource.server.ts';

/**
 * Downloads of a clip's MP4 / SRT / VTT with a proper file name (Content-Disposition: attachment).
 * The presigned URL is fetched fresh from GET /jobs/{id}/clips, so an expired link never breaks it.
 */
const formatSchema = z.enum(['mp4', 'srt', 'vtt']);
const TYPES = { mp4: 'video/mp4', srt: 'application/x-subrip; charset=utf-8', vtt: 'text/vtt; charset=utf-8' } as const;

export async function loader(args: Route.LoaderArgs) {
  const format = formatSchema.safeParse(args.params.format);
  if (!format.success) return jsonError(404, 'NOT_FOUND', 'Unknown format');
  let clips;
  try {
    clips = await api(args, 'GET', `/jobs/${encodeURIComponent(args.params.jobId)}/clips`, clipsResponseSchema);
  } catch (e) {
    if (e instanceof ApiError) return jsonError(e.status, e.code, e.message);
    throw e;
  }
  const clip = clips.items.find((c) => c.id === args.params.clipId);
  const url = !clip ? null : format.data === 'mp4' ? clip.videoUrl : clip.captionsUrl?.[format.data];
  if (!clip || !url) return jsonError(404, 'NOT_FOUND', 'That clip file is not available');
  const upstream = await fetch(url);
  if (!upstream.ok || !upstream.body) return jsonError(502, 'UPSTREAM', `Storage answered ${upstream.status}`);
  const slug = (clip.title || `clip-${clip.index + 1}`).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60) || 'clip';
  const headers = new Headers({
    'Content-Type': TYPES[format.data],
    'Content-Disposition': `attachment; filename="${slug}.${format.data}"`,
    'Cache-Control': 'private, no-store',
  });
  const length = upstream.headers.get('Content-Length');
  if (length) headers.set('Content-Length', length);
  return new Response(upstream.body, { status: 200, headers });
}
