import type { z } from 'zod';
import { apiErrorSchema } from '../../lib/contracts/errors.ts';
import { subscriptionResponseSchema, usageResponseSchema } from '../../lib/contracts/billing.ts';
import {
  clipsResponseSchema,
  createJobResponseSchema,
  jobSchema,
  quoteResponseSchema,
  type JobOptions,
  type SourceRange,
} from '../../lib/contracts/jobs.ts';
import type { FetchPort } from './ports.ts';
import { ReplyableError } from './router.ts';

/**
 * The Clipforge HTTP API as the background uses it. Every response is validated with the shared
 * contract; errors come back as ReplyableError with the API's stable error code.
 */
export class ApiError extends ReplyableError {
  override name = 'ApiError';
  readonly status: number;
  constructor(status: number, code: string, message: string) {
    super(code, message);
    this.status = status;
  }
}

export function createApi(options: { baseUrl: string; fetch: FetchPort; accessToken: () => Promise<string> }) {
  const base = options.baseUrl.replace(/\/+$/, '');

  async function call<S extends z.ZodType>(
    method: string,
    path: string,
    schema: S,
    init: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<z.infer<S>> {
    const token = await options.accessToken();
    let res: Response;
    try {
      res = await options.fetch(base + path, {
        method,
        headers: {
          Authorization: `Bearer ${token}`,
          Accept: 'application/json',
          ...(init.body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...init.headers,
        },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      });
    } catch {
      throw new ApiError(0, 'UNAVAILABLE', 'Clipforge could not be reached. Check your connection.');
    }
    const text = await res.text();
    let json: unknown = undefined;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const err = apiErrorSchema.safeParse(json);
      if (err.success) throw new ApiError(res.status, err.data.error.code, err.data.error.message);
      throw new ApiError(res.status, res.status === 401 ? 'UNAUTHORIZED' : 'INTERNAL', `The API answered ${res.status}`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new ApiError(502, 'BAD_RESPONSE', `Unexpected answer from ${method} ${path}`);
    return parsed.data;
  }

  return {
    quote: (url: string, range?: SourceRange) => call('POST', '/jobs/quote', quoteResponseSchema, { body: { url, ...(range ? { range } : {}) } }),
    createJob: (url: string, jobOptions: Partial<JobOptions>, idempotencyKey: string, range?: SourceRange) =>
      call('POST', '/jobs', createJobResponseSchema, {
        body: { url, ...(range ? { range } : {}), options: jobOptions },
        headers: { 'Idempotency-Key': idempotencyKey },
      }),
    job: (jobId: string) => call('GET', `/jobs/${encodeURIComponent(jobId)}`, jobSchema),
    clips: (jobId: string) => call('GET', `/jobs/${encodeURIComponent(jobId)}/clips`, clipsResponseSchema),
    subscription: () => call('GET', '/subscription', subscriptionResponseSchema),
    usage: () => call('GET', '/usage?limit=1', usageResponseSchema),
  };
}
export type Api = ReturnType<typeof createApi>;
