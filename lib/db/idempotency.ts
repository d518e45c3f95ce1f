import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { dynamo } from '../aws/clients.ts';
import { config } from '../config/index.ts';

/**
 * Powertools idempotency records in the app table: pk IDEMPOTENCY#<consumer>, sk = the hashed
 * idempotency key (the job event's eventId), expiring through the table's TTL attribute.
 */
export function idempotencyPersistence(consumer: string): DynamoDBPersistenceLayer {
  return new DynamoDBPersistenceLayer({
    tableName: config().TABLE_NAME,
    keyAttr: 'pk',
    sortKeyAttr: 'sk',
    staticPkValue: `IDEMPOTENCY#${consumer}`,
    expiryAttr: 'expiresAt',
    awsSdkV3Client: dynamo(),
  });
}
