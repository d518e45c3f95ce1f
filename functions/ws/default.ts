import type { APIGatewayProxyResult } from 'aws-lambda';
import { handleClientMessage, realtimeDeps } from '../../lib/realtime/index.ts';
import { wsRequestSchema, type WsEvent } from '../../lib/realtime/ws-event.ts';

/** $default, ping and subscribe: answers on the same socket (routeResponseSelectionExpression $default). */
export const handler = async (event: WsEvent): Promise<APIGatewayProxyResult> => {
  const request = wsRequestSchema.parse(event);
  const { statusCode, body } = await handleClientMessage(realtimeDeps(), {
    connectionId: request.requestContext.connectionId,
    body: request.isBase64Encoded && request.body ? Buffer.from(request.body, 'base64').toString('utf8') : request.body,
  });
  return { statusCode, body: body ?? '' };
};
