import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import type { z } from 'zod';
import { ErrorCode } from '../contracts/errors.ts';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import { HttpError, ValidationError } from './errors.ts';
import { logger, withLogScope } from './logger.ts';
import { authenticate, requireRole, type AuthUser, type Role } from '../auth/index.ts';

export type HttpEvent = APIGatewayProxyEventV2;

export interface HttpRequest<B, Q> {
  event: HttpEvent;
  body: B;
  query: Q;
  params: Record<string, string | undefined>;
  headers: Record<string, string | undefined>;
  requestId: string;
}
export interface AuthedRequest<B, Q> extends HttpRequest<B, Q> {
  user: AuthUser;
}

export interface HttpResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Send `body` as-is (a string) instead of JSON. */
  raw?: boolean;
}

export const json = (status: number, body?: unknown, headers?: Record<string, string>): HttpResponse => ({
  status,
  body,
  headers,
});

/** Shape of zod issues exposed to clients: field path → messages. */
export function fieldErrors(error: z.ZodError): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const key = issue.path.join('.') || '_';
    (out[key] ??= []).push(issue.message);
  }
  return out;
}

export function errorResponse(status: number, code: string, message: string, details?: unknown, headers?: Record<string, string>): APIGatewayProxyResultV2 {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ error: { code, message, ...(details === undefined ? {} : { details }) } }),
  };
}

function toResult(res: HttpResponse, requestId: string): APIGatewayProxyResultV2 {
  const headers: Record<string, string> = { 'x-request-id': requestId, ...res.headers };
  if (res.body === undefined) return { statusCode: res.status, headers };
  if (res.raw) return { statusCode: res.status, headers, body: String(res.body) };
  return { statusCode: res.status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(res.body) };
}

/** Maps every thrown error to the JSON error body. Registered first so its onError runs last. */
const errorMapper = (): MiddlewareObj<HttpEvent, APIGatewayProxyResultV2> => ({
  onError: async (request) => {
    const err = request.error as (Error & { statusCode?: number; expose?: boolean }) | null;
    const requestId = request.context?.awsRequestId ?? 'local';
    if (err instanceof HttpError) {
      if (err.status >= 500) logger.error('request failed', { err });
      request.response = errorResponse(err.status, err.code, err.message, err.details, { 'x-request-id': requestId, ...err.headers });
      return;
    }
    // middy's own http errors (e.g. body parser: 415 unsupported media type, 422 malformed JSON)
    if (err && typeof err.statusCode === 'number' && err.statusCode < 500) {
      const code = err.statusCode === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : ErrorCode.INVALID_JSON;
      const message = err.statusCode === 415 ? 'Content-Type must be application/json' : 'Request body is not valid JSON';
      request.response = errorResponse(err.statusCode === 415 ? 415 : 400, code, message, undefined, { 'x-request-id': requestId });
      return;
    }
    logger.error('unhandled error', { err });
    request.response = errorResponse(500, ErrorCode.INTERNAL, 'Something went wrong on our side; please retry', undefined, { 'x-request-id': requestId });
  },
});

function validate<T>(schema: z.ZodType<T> | undefined, value: unknown, what: string): T {
  if (!schema) return value as T;
  const result = schema.safeParse(value ?? (what === 'query' ? {} : undefined));
  if (!result.success) throw new ValidationError(`Invalid ${what}`, fieldErrors(result.error));
  return result.data;
}

export interface RouteOptions<B, Q> {
  body?: z.ZodType<B>;
  query?: z.ZodType<Q>;
  /** Extra middlewares (e.g. usage metering), run after authentication. */
  use?: MiddlewareObj<HttpEvent, APIGatewayProxyResultV2>[];
}

type Handler<R> = (req: R) => Promise<HttpResponse>;

const USER = Symbol('user');
type EventWithUser = HttpEvent & { [USER]?: AuthUser };

/** The verified user of a request, for middlewares that run after authentication (e.g. metering). */
export function authenticatedUser(event: HttpEvent): AuthUser | undefined {
  return (event as EventWithUser)[USER];
}

/** Marks a request as made by a verified user (the auth middleware; tests of later middlewares). */
export function attachUser(event: HttpEvent, user: AuthUser): void {
  (event as EventWithUser)[USER] = user;
}

/** Verifies the bearer token before anything else reads the request. */
const authMiddleware = (roles: Role[] | undefined): MiddlewareObj<HttpEvent, APIGatewayProxyResultV2> => ({
  before: async (request) => {
    const event = request.event as EventWithUser;
    const user = await authenticate(event.headers?.authorization ?? event.headers?.Authorization);
    if (roles?.length) requireRole(user, roles);
    logger.appendKeys({ userId: user.sub });
    attachUser(event, user);
  },
});

function build(options: RouteOptions<unknown, unknown> & { roles?: Role[] }, authenticated: boolean, fn: Handler<never>) {
  const stack = middy<HttpEvent, APIGatewayProxyResultV2, Error, Context>().use(errorMapper());
  if (authenticated) stack.use(authMiddleware(options.roles));
  if (options.body) stack.use(httpJsonBodyParser());
  for (const m of options.use ?? []) stack.use(m);
  const handler = stack.handler(async (event, context) => {
    const requestId = context?.awsRequestId ?? event.requestContext?.requestId ?? 'local';
    const req = {
      event,
      requestId,
      headers: lowerCaseHeaders(event.headers),
      params: event.pathParameters ?? {},
      query: validate(options.query, event.queryStringParameters ?? {}, 'query'),
      body: validate(options.body, options.body ? (event.body as unknown) : undefined, 'body'),
      ...(authenticated ? { user: (event as EventWithUser)[USER] } : {}),
    };
    return toResult(await (fn as Handler<typeof req>)(req), requestId);
  });
  // One log scope per invocation: the userId the auth middleware adds ends with the request.
  return (event: HttpEvent, context: Context) => withLogScope({}, () => handler(event, context));
}

function lowerCaseHeaders(h: Record<string, string | undefined> | undefined): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(h ?? {})) out[k.toLowerCase()] = v;
  return out;
}

/**
 * A protected route (the default). The Cognito access token is verified before any handler code;
 * `roles` restricts it further. Public routes must use `publicRoute` explicitly.
 */
export function route<B = undefined, Q = Record<string, string | undefined>>(
  options: RouteOptions<B, Q> & { roles?: Role[] },
  fn: Handler<AuthedRequest<B, Q>>,
) {
  return build(options as RouteOptions<unknown, unknown>, true, fn as Handler<never>);
}

/** An explicitly public route (health, plans, auth endpoints, webhooks). */
export function publicRoute<B = undefined, Q = Record<string, string | undefined>>(
  options: RouteOptions<B, Q>,
  fn: Handler<HttpRequest<B, Q>>,
) {
  return build(options as RouteOptions<unknown, unknown>, false, fn as Handler<never>);
}
