import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { logger } from '../http/logger.ts';
import { authenticatedUser } from '../http/http.ts';
import { recordUsage, type UsageRecordInput } from './usage.ts';

type Result = APIGatewayProxyResultV2;
type Recorder = (r: UsageRecordInput) => Promise<void>;

const STARTED = Symbol('meterStarted');

function userIdOf(event: APIGatewayProxyEventV2): string | undefined {
  return authenticatedUser(event)?.sub;
}

function statusOf(response: Result | undefined, fallback: number): number {
  if (response && typeof response === 'object' && typeof response.statusCode === 'number') return response.statusCode;
  return fallback;
}

/**
 * Middy middleware for `route({ use: [meter()] }, ...)`: records route, user, status and latency
 * of every call to the usage records (TTL). It runs after authentication; a failing write is logged
 * and never fails the request.
 */
export function meter(record: Recorder = recordUsage): MiddlewareObj<APIGatewayProxyEventV2, Result> {
  const write = async (event: APIGatewayProxyEventV2, status: number, requestId: string) => {
    const userId = userIdOf(event);
    const started = (event as unknown as Record<symbol, number>)[STARTED];
    if (!userId || started === undefined) return;
    try {
      await record({
        userId,
        route: event.routeKey && event.routeKey !== '$default' ? event.routeKey.replace(/^\S+\s/, '') : event.rawPath ?? 'unknown',
        method: event.requestContext?.http?.method ?? 'GET',
        status,
        latencyMs: performance.now() - started,
        requestId,
      });
    } catch (err) {
      logger.warn('usage record not written', { err: (err as Error).message });
    }
  };
  return {
    before: async (request) => {
      (request.event as unknown as Record<symbol, number>)[STARTED] = performance.now();
    },
    after: async (request) => {
      await write(request.event, statusOf(request.response ?? undefined, 200), request.context?.awsRequestId ?? 'local');
    },
    onError: async (request) => {
      const err = request.error as { status?: number; statusCode?: number } | null;
      await write(request.event, err?.status ?? err?.statusCode ?? 500, request.context?.awsRequestId ?? 'local');
    },
  };
}
