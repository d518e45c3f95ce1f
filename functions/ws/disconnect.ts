import type { APIGatewayProxyResult } from 'aws-lambda';
import { disconnect, realtimeDeps } from '../../lib/realtime/index.ts';
import { wsRequestSchema, type WsEvent } from '../../lib/realtime/ws-event.ts';

/** $disconnect: forgets the connection. */
export const handler = async (event: WsEvent): Promise<APIGatewayProxyResult> => {
  const request = wsRequestSchema.parse(event);
  const { statusCode } = await disconnect(realtimeDeps(), request.requestContext.connectionId);
  return { statusCode, body: '' };
};
