import { Entity } from 'dynamodb-toolbox/entity';
import { item } from 'dynamodb-toolbox/schema/item';
import { string } from 'dynamodb-toolbox/schema/string';
import { number } from 'dynamodb-toolbox/schema/number';
import { AppTable } from './table.ts';

/**
 * Sign-outs whose access tokens must stop working before they expire, all of a user's under one
 * partition (one consistent Query answers "is this token signed out?"):
 *   pk REVOKED#<userId>, sk SESSION#<session id>  — one signed-out session
 *   pk REVOKED#<userId>, sk ALL                   — every sign-in before `before` (sign out everywhere)
 * expiresAt (TTL) is past the last expiry of the tokens concerned. Entity name is forever: RevokedSession.
 */
export const RevokedSessionEntity = new Entity({
  name: 'RevokedSession',
  table: AppTable,
  timestamps: false,
  schema: item({
    userId: string().key(),
    scope: string().key(),
    revokedAt: string(),
    /** For scope ALL: sign-ins after this second (epoch seconds) are not affected. */
    before: number().optional(),
    expiresAt: number(),
  }),
  computeKey: ({ userId, scope }: { userId: string; scope: string }) => ({ pk: `REVOKED#${userId}`, sk: scope }),
});
