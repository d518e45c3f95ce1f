import { Entity } from 'dynamodb-toolbox/entity';
import { item } from 'dynamodb-toolbox/schema/item';
import { string } from 'dynamodb-toolbox/schema/string';
import { number } from 'dynamodb-toolbox/schema/number';
import { set } from 'dynamodb-toolbox/schema/set';
import { PutItemCommand } from 'dynamodb-toolbox/entity/actions/put';
import { DeleteItemCommand } from 'dynamodb-toolbox/entity/actions/delete';
import { UpdateItemCommand, $add } from 'dynamodb-toolbox/entity/actions/update';
import { QueryCommand } from 'dynamodb-toolbox/table/actions/query';
import { AppTable, ttlIn } from './table.ts';

/**
 * A WebSocket connection of a user (API Gateway connection id).
 *   pk = USER#<userId>          sk = WSCONN#<connectionId>   → fan-out: one strongly consistent query per user
 *   gsi1pk = WSCONN#<connectionId>  gsi1sk = WSCONN          → $disconnect / routes know only the connection id
 * `expiresAt` (TTL) is a little over API Gateway's 2-hour connection limit; DynamoDB deletes
 * expired items lazily, so reads filter them out too.
 */
export const CONNECTION_TTL_SECONDS = 2 * 3600 + 15 * 60;

const connectionSchema = item({
  userId: string().key(),
  connectionId: string().key(),
  connectedAt: string(),
  expiresAt: number(),
  /** Jobs this connection is limited to (absent = every job of the user). */
  jobIds: set(string()).optional(),
  /** The sign-in session of the token it connected with (sign-out closes the session's sockets). */
  sessionId: string().optional(),
  /** That token's sign-in time (epoch seconds; "sign out everywhere" closes older ones). */
  signedInAt: number().optional(),
});

export const ConnectionEntity = new Entity({
  name: 'WsConnection',
  table: AppTable,
  schema: connectionSchema.and((_prev) => ({
    gsi1pk: string()
      .hidden()
      .link<typeof _prev>(({ connectionId }) => `WSCONN#${connectionId}`),
    gsi1sk: string().hidden().putDefault('WSCONN'),
  })),
  computeKey: ({ userId, connectionId }: { userId: string; connectionId: string }) => ({
    pk: `USER#${userId}`,
    sk: `WSCONN#${connectionId}`,
  }),
  timestamps: false,
});

export interface ConnectionSession {
  sessionId?: string;
  signedInAt?: number;
}

export interface ConnectionRecord extends ConnectionSession {
  userId: string;
  connectionId: string;
  connectedAt: string;
  expiresAt: number;
  jobIds: string[];
}

type Stored = { userId: string; connectionId: string; connectedAt: string; expiresAt: number; jobIds?: Set<string> } & ConnectionSession;
const toRecord = (i: Stored): ConnectionRecord => ({
  userId: i.userId,
  connectionId: i.connectionId,
  connectedAt: i.connectedAt,
  expiresAt: i.expiresAt,
  jobIds: i.jobIds ? [...i.jobIds].sort() : [],
  ...(i.sessionId ? { sessionId: i.sessionId } : {}),
  ...(typeof i.signedInAt === 'number' ? { signedInAt: i.signedInAt } : {}),
});
const nowSeconds = () => Math.floor(Date.now() / 1000);

export async function putConnection(userId: string, connectionId: string, session: ConnectionSession = {}, ttlSeconds = CONNECTION_TTL_SECONDS): Promise<ConnectionRecord> {
  const record = {
    userId,
    connectionId,
    connectedAt: new Date().toISOString(),
    expiresAt: ttlIn(ttlSeconds),
    ...(session.sessionId ? { sessionId: session.sessionId } : {}),
    ...(typeof session.signedInAt === 'number' ? { signedInAt: session.signedInAt } : {}),
  };
  await ConnectionEntity.build(PutItemCommand).item(record).send();
  return { ...record, jobIds: [] };
}

/** Live connections of a user (strongly consistent; expired items filtered out). */
export async function listUserConnections(userId: string): Promise<ConnectionRecord[]> {
  const out: ConnectionRecord[] = [];
  let exclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await AppTable.build(QueryCommand)
      .entities(ConnectionEntity)
      .query({ partition: `USER#${userId}`, range: { beginsWith: 'WSCONN#' } })
      .options({ consistent: true, exclusiveStartKey })
      .send();
    for (const i of page.Items ?? []) if (i.expiresAt > nowSeconds()) out.push(toRecord(i));
    exclusiveStartKey = page.LastEvaluatedKey;
  } while (exclusiveStartKey);
  return out;
}

/** Finds a connection by its id alone (GSI). */
export async function findConnection(connectionId: string): Promise<ConnectionRecord | undefined> {
  const page = await AppTable.build(QueryCommand)
    .entities(ConnectionEntity)
    .query({ index: 'gsi1', partition: `WSCONN#${connectionId}`, range: { eq: 'WSCONN' } })
    .send();
  const found = page.Items?.[0];
  return found && found.expiresAt > nowSeconds() ? toRecord(found) : undefined;
}

export async function deleteConnection(userId: string, connectionId: string): Promise<void> {
  await ConnectionEntity.build(DeleteItemCommand).key({ userId, connectionId }).send();
}

/** Adds a job to the connection's subscriptions; returns the resulting set. */
export async function addConnectionJob(userId: string, connectionId: string, jobId: string): Promise<string[]> {
  const { Attributes } = await ConnectionEntity.build(UpdateItemCommand)
    .item({ userId, connectionId, jobIds: $add(new Set([jobId])) })
    .options({ returnValues: 'ALL_NEW', condition: { attr: 'connectionId', exists: true } })
    .send();
  return Attributes?.jobIds ? [...Attributes.jobIds].sort() : [jobId];
}
