import { websocketManagement } from '../aws/clients.ts';
import { verifyAccessToken } from '../auth/index.ts';
import { getBalance } from '../billing/index.ts';
import { addConnectionJob, deleteConnection, findConnection, listUserConnections, putConnection } from '../db/connection.ts';
import { logger } from '../http/logger.ts';
import { managementPusher } from './management.ts';
import type { ConnectionStore, Pusher, SequenceStore, VerifyToken } from './ports.ts';
import { sequenceStore } from './sequences.ts';
import type { NotifierDeps } from './notify.ts';

export { connect, disconnect, handleClientMessage, type RouteResult } from './connections.ts';
export { notifyJobEvent, type NotifierDeps, type Delivered } from './notify.ts';
export { closeSignedOutConnections } from './signout.ts';
export { planMessages, creditsChanged } from './messages.ts';
export { fanOut, wants, PushRetryableError } from './push.ts';
export { isGone, managementPusher } from './management.ts';
export { sequenceStore, jobStream, userStream } from './sequences.ts';
export type * from './ports.ts';

/** Connections in the application table (lib/db/connection.ts). */
export const dynamoConnectionStore: ConnectionStore = {
  put: (userId, connectionId, session) => putConnection(userId, connectionId, session),
  find: findConnection,
  listByUser: listUserConnections,
  remove: deleteConnection,
  subscribe: addConnectionJob,
};

/** The production wiring, built on first use (reads config lazily). */
export function realtimeDeps(): NotifierDeps & { verify: VerifyToken; connections: ConnectionStore; sequences: SequenceStore; pusher: Pusher } {
  return {
    verify: verifyAccessToken,
    connections: dynamoConnectionStore,
    sequences: sequenceStore(),
    pusher: managementPusher(() => websocketManagement()),
    // credits.changed after job.finished: the balance once the job's credits are settled or refunded.
    getBalance: async (userId) => (await getBalance(userId)).balance,
    log: { warn: (message, extra) => logger.warn(message, extra ?? {}) },
  };
}
export { notifierConsumer } from './consumer.ts';
