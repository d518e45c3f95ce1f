import { notifierConsumer, realtimeDeps } from '../../lib/realtime/index.ts';

/** NotifierQueue consumer: every job event → the owner's WebSocket connections (partial batch failures). */
export const handler = notifierConsumer(realtimeDeps);
