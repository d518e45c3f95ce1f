import { Entity } from 'dynamodb-toolbox/entity';
import { item } from 'dynamodb-toolbox/schema/item';
import { string } from 'dynamodb-toolbox/schema/string';
import { number } from 'dynamodb-toolbox/schema/number';
import { AppTable } from './table.ts';

/**
 * A signed-out session whose access tokens must stop working before they expire. One item per
 * session: pk REVOKED#<session id>, sk SESSION; expiresAt (TTL) is past the last expiry of the
 * session's access tokens. Entity name is forever: RevokedSession.
 */
export const RevokedSessionEntity = new Entity({
  name: 'RevokedSession',
  table: AppTable,
  timestamps: false,
  schema: item({
    sessionId: string().key(),
    userId: string(),
    revokedAt: string(),
    expiresAt: number(),
  }),
  computeKey: ({ sessionId }: { sessionId: string }) => ({ pk: `REVOKED#${sessionId}`, sk: 'SESSION' }),
});
