import { createJobBodySchema, type CreateJobBody } from '../../../lib/contracts/jobs.ts';

/** A valid POST /jobs body (parsed by the contract, so defaults are applied). */
export function jobCreateBody(options: Record<string, unknown> = {}, source: { url?: string; uploadKey?: string; range?: { startSeconds: number; endSeconds: number } } = { url: 'https://media.example.com/talk.mp4' }): CreateJobBody {
  return createJobBodySchema.parse({ ...source, options: { clipCount: 3, minSeconds: 10, maxSeconds: 45, ...options } });
}
