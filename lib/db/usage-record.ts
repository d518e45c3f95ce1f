import { Entity } from 'dynamodb-toolbox/entity';
import { item } from 'dynamodb-toolbox/schema/item';
import { string } from 'dynamodb-toolbox/schema/string';
import { number } from 'dynamodb-toolbox/schema/number';
import { AppTable } from './table.ts';

/**
 * One metered API call (expires by TTL). By user: pk `USAGE#<userId>`; across users per day:
 * gsi1 `USAGEDAY#<YYYY-MM-DD>` / `<iso>#<userId>`.
 */
export const UsageRecordEntity = new Entity({
  name: 'UsageRecord',
  table: AppTable,
  timestamps: false,
  schema: item({
    userId: string().key(),
    id: string().key(),
    route: string(),
    method: string(),
    status: number(),
    latencyMs: number(),
    at: string(),
    gsi1pk: string(),
    gsi1sk: string(),
    expiresAt: number(),
  }),
  computeKey: ({ userId, id }: { userId: string; id: string }) => ({ pk: `USAGE#${userId}`, sk: id }),
});
