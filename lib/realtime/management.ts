import { DeleteConnectionCommand, PostToConnectionCommand, type ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import type { Pusher } from './ports.ts';

/** HTTP status of an SDK error, when it has one. */
export function statusOf(err: unknown): number | undefined {
  const status = (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/**
 * 410: the connection is gone. AWS names it GoneException; serverless-offline's 410 has no error
 * code, so the SDK names it "Unknown" locally — the status is what counts.
 */
export function isGone(err: unknown): boolean {
  return (err as { name?: string } | null)?.name === 'GoneException' || statusOf(err) === 410;
}

/** A Pusher over the API Gateway management API (postToConnection, deleteConnection). */
export function managementPusher(client: () => ApiGatewayManagementApiClient): Pusher {
  const encoder = new TextEncoder();
  return {
    async post(connectionId, data) {
      try {
        await client().send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: encoder.encode(data) }));
        return 'sent';
      } catch (err) {
        if (isGone(err)) return 'gone';
        throw err;
      }
    },
    async close(connectionId) {
      try {
        await client().send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
      } catch (err) {
        if (!isGone(err)) throw err;
      }
    },
  };
}
