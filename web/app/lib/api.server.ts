import { data, redirect } from 'react-router';
import type { z } from 'zod';
import { apiErrorSchema } from '../../../lib/contracts/errors.ts';
import { forceRefresh, requireUser, sessionOf, signInPath, type Args } from './auth.server.ts';
import { portalEnv } from './env.server.ts';

/**
 * The portal server's client for the Clipforge HTTP API (API_URL). Every call sends the session's
 * access token; a 401 triggers one refresh and a retry, then a redirect to sign-in. Responses are
 * validated with the shared contract schemas.
 */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

interface CallOptions {
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  headers?: Record<string, string>;
}

async function send(method: string, path: string, token: string | null, opts: CallOptions): Promise<Response> {
  const url = new URL(path.replace(/^\//, ''), portalEnv().API_URL.replace(/\/?$/, '/'));
  for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
  const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  try {
    return await fetch(url, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body), signal: AbortSignal.timeout(30_000) });
  } catch {
    throw new ApiError(503, 'UNAVAILABLE', 'The Clipforge API is not reachable right now. Please try again in a moment.');
  }
}

async function parse<S extends z.ZodType>(res: Response, schema: S | null, what = ''): Promise<z.infer<S>> {
  const text = await res.text();
  let json: unknown = undefined;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      throw new ApiError(502, 'BAD_RESPONSE', `The API answered ${res.status} with a body that is not JSON.`);
    }
  }
  if (!res.ok) {
    const err = apiErrorSchema.safeParse(json);
    if (err.success) throw new ApiError(res.status, err.data.error.code, err.data.error.message, err.data.error.details);
    throw new ApiError(res.status, 'HTTP_' + res.status, `The API answered ${res.status}.`);
  }
  if (!schema) return undefined as z.infer<S>;
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    // Server log only: a contract mismatch between the portal and the API.
    console.warn(`[portal] ${what} answered a shape outside its contract: ${JSON.stringify(parsed.error.issues.slice(0, 5))}`);
    throw new ApiError(502, 'BAD_RESPONSE', 'The API answered with an unexpected shape.', parsed.error.issues.slice(0, 5));
  }
  return parsed.data;
}

/** Authenticated call. `schema` null for empty (204) answers. */
export async function api<S extends z.ZodType>(args: Args, method: string, path: string, schema: S | null, opts: CallOptions = {}): Promise<z.infer<S>> {
  const session = await requireUser(args);
  let res = await send(method, path, session.tokens.accessToken, opts);
  if (res.status === 401) {
    const fresh = await forceRefresh(args.context);
    if (!fresh) {
      sessionOf(args.context).unset('tokens');
      throw redirect(signInPath(args.request, 'expired'));
    }
    res = await send(method, path, fresh.accessToken, opts);
    if (res.status === 401) {
      sessionOf(args.context).unset('tokens');
      throw redirect(signInPath(args.request, 'expired'));
    }
  }
  return parse(res, schema, `${method} ${path}`);
}

/** Unauthenticated call (public routes such as GET /plans). */
export async function publicApi<S extends z.ZodType>(method: string, path: string, schema: S, opts: CallOptions = {}): Promise<z.infer<S>> {
  return parse(await send(method, path, null, opts), schema, `${method} ${path}`);
}

/** Runs a loader's API call; on failure returns `{ error }` so a page can render what it has. */
export async function settle<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: { status: number; code: string; message: string } }> {
  try {
    return { ok: true, value: await p };
  } catch (e) {
    if (e instanceof ApiError) return { ok: false, error: { status: e.status, code: e.code, message: e.message } };
    throw e;
  }
}

/** Turns an ApiError into an error response for the route's ErrorBoundary. */
export function rethrowApi(e: unknown): never {
  if (e instanceof ApiError) throw data({ message: e.message, code: e.code }, { status: e.status === 401 ? 500 : e.status });
  throw e;
}
