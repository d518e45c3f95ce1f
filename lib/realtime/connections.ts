import { ZodError } from 'zod';
import { ErrorCode } from '../contracts/errors.ts';
import {
  MAX_SUBSCRIPTIONS,
  REALTIME_VERSION,
  clientRequestSchema,
  connectQuerySchema,
  type ReplyMessage,
} from '../contracts/realtime.ts';
import { HttpError } from '../http/errors.ts';
import type { ConnectionStore, VerifyToken } from './ports.ts';

/** What a WebSocket route returns to API Gateway (statusCode ≠ 2xx on $connect refuses the upgrade). */
export interface RouteResult {
  statusCode: number;
  body?: string;
}

/**
 * $connect: the Cognito access token comes in the `token` query parameter (browsers cannot set
 * headers on a WebSocket) and is verified exactly like an HTTP bearer token. A missing, forged or
 * expired token → 401 (upgrade refused); keys unavailable → 503. The user id is the token's `sub`.
 */
export async function connect(
  deps: { verify: VerifyToken; connections: ConnectionStore },
  input: { connectionId: string; query: Record<string, string | undefined> | null | undefined },
): Promise<RouteResult & { userId?: string }> {
  const query = connectQuerySchema.safeParse(input.query ?? {});
  if (!query.success) return { statusCode: 401 };
  try {
    const user = await deps.verify(query.data.token);
    await deps.connections.put(user.sub, input.connectionId, { sessionId: user.sessionId, signedInAt: user.signedInAt });
    return { statusCode: 200, userId: user.sub };
  } catch (err) {
    if (err instanceof HttpError && (err.status === 401 || err.status === 503)) return { statusCode: err.status };
    throw err;
  }
}

/** $disconnect: forget the connection (nothing to do if it is already gone). */
export async function disconnect(deps: { connections: ConnectionStore }, connectionId: string): Promise<RouteResult> {
  const found = await deps.connections.find(connectionId);
  if (found) await deps.connections.remove(found.userId, connectionId);
  return { statusCode: 200 };
}

const reply = (message: ReplyMessage): RouteResult => ({ statusCode: 200, body: JSON.stringify(message) });
const errorReply = (code: string, message: string) => reply({ type: 'error', v: REALTIME_VERSION, code, message });

/**
 * Messages from the client ($default, `ping`, `subscribe`), answered on the same socket:
 *   {"action":"ping"}                  → {"type":"pong"}
 *   {"action":"subscribe","jobId":id}  → limits this connection to the listed jobs (plus
 *     credits.changed). Only the caller's own events are ever pushed, so subscribing to another
 *     user's job id just yields nothing.
 * Anything else → {"type":"error"} with a stable code; never a 500.
 */
export async function handleClientMessage(
  deps: { connections: ConnectionStore; now?: () => Date },
  input: { connectionId: string; body: string | null | undefined },
): Promise<RouteResult> {
  let request;
  try {
    request = clientRequestSchema.parse(JSON.parse(input.body ?? ''));
  } catch (err) {
    if (err instanceof ZodError) return errorReply(ErrorCode.VALIDATION_FAILED, 'Send {"action":"ping"} or {"action":"subscribe","jobId":"..."}');
    return errorReply(ErrorCode.INVALID_JSON, 'Messages must be JSON');
  }
  if (request.action === 'ping') return reply({ type: 'pong', v: REALTIME_VERSION, at: (deps.now?.() ?? new Date()).toISOString() });

  const connection = await deps.connections.find(input.connectionId);
  if (!connection) return errorReply(ErrorCode.UNAUTHORIZED, 'Unknown connection; reconnect');
  if (!connection.jobIds.includes(request.jobId) && connection.jobIds.length >= MAX_SUBSCRIPTIONS) {
    return errorReply(ErrorCode.RATE_LIMITED, `At most ${MAX_SUBSCRIPTIONS} subscriptions per connection`);
  }
  const jobIds = await deps.connections.subscribe(connection.userId, input.connectionId, request.jobId);
  return reply({ type: 'subscribed', v: REALTIME_VERSION, jobId: request.jobId, jobIds });
}
