import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { apiEvent, lambdaContext } from '../../dev/lambda-events.ts';

/** A handler's answer as { status, headers, body (parsed JSON when it is JSON) }. */
export interface ParsedResult<T = unknown> {
  status: number;
  headers: Record<string, string>;
  body: T;
}

export function parseResult<T = unknown>(result: APIGatewayProxyResultV2 | unknown): ParsedResult<T> {
  const r = result as { statusCode?: number; headers?: Record<string, string>; body?: string };
  let body: unknown = r.body;
  if (typeof r.body === 'string' && r.body.length) {
    try {
      body = JSON.parse(r.body);
    } catch {
      body = r.body;
    }
  }
  return { status: r.statusCode ?? 200, headers: r.headers ?? {}, body: body as T };
}

type AnyHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>;

/** Calls a Lambda handler with an API Gateway v2 event (dev/lambda-events.ts) and parses the answer. */
export async function invoke<T = unknown>(handler: AnyHandler, opts: Parameters<typeof apiEvent>[0] = {}): Promise<ParsedResult<T>> {
  return parseResult<T>(await handler(apiEvent(opts), lambdaContext()));
}
