import { Table } from 'dynamodb-toolbox/table';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../aws/clients.ts';
import { config } from '../config/index.ts';

/** Resolves the real client at first send, so importing an entity never reads the environment. */
const lazyClient = { send: (command: never) => documentClient().send(command) } as unknown as DynamoDBDocumentClient;

/**
 * The single application table (see docs/data-model.md). Keys are generic (pk/sk, gsi1pk/gsi1sk)
 * so every entity chooses its own access patterns; `expiresAt` is the TTL attribute.
 */
export const AppTable = new Table({
  name: () => config().TABLE_NAME,
  partitionKey: { name: 'pk', type: 'string' },
  sortKey: { name: 'sk', type: 'string' },
  indexes: {
    gsi1: {
      type: 'global',
      partitionKey: { name: 'gsi1pk', type: 'string' },
      sortKey: { name: 'gsi1sk', type: 'string' },
    },
  },
  documentClient: lazyClient,
});

/** Epoch seconds `seconds` from now, for the TTL attribute. */
export const ttlIn = (seconds: number): number => Math.floor(Date.now() / 1000) + seconds;
