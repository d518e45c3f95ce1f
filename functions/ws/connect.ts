import type { APIGatewayProxyResult } from 'aws-lambda';
import { connect, realtimeDeps } from '../../lib/realtime/index.ts';
import { wsRequestSchema, type WsEvent } from '../../lib/realtime/ws-event.ts';

/** $connect: verifies the access token in ?token= and stores the connection (401 refuses the upgrade). */
export const handler = async (event: WsEvent): Promise<APIGatewayProxyResult> => {
  const request = wsRequestSchema.parse(event);
  const { statusCode } = await connect(realtimeDeps(), {
    connectionId: request.requestContext.connectionId,
    query: request.queryStringParameters,
  });
  return { statusCode, body: '' };
};
