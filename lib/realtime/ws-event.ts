import { z } from 'zod';

/** The parts of an API Gateway WebSocket event the handlers use (validated at the boundary). */
export const wsRequestSchema = z.object({
  requestContext: z.object({ connectionId: z.string().min(1).max(128) }),
  queryStringParameters: z.record(z.string(), z.string().optional()).nullish(),
  body: z.string().nullish(),
  isBase64Encoded: z.boolean().optional(),
});
export type WsEvent = z.input<typeof wsRequestSchema>;
