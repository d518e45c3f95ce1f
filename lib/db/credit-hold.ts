import { Entity } from 'dynamodb-toolbox/entity';
import { item } from 'dynamodb-toolbox/schema/item';
import { string } from 'dynamodb-toolbox/schema/string';
import { number } from 'dynamodb-toolbox/schema/number';
import { AppTable } from './table.ts';

/** Credits held for one job: reserved → settled | refunded, moved by conditional transactions only. */
export const CreditHoldEntity = new Entity({
  name: 'CreditHold',
  table: AppTable,
  timestamps: false,
  schema: item({
    userId: string().key(),
    jobId: string().key(),
    credits: number(),
    status: string().enum('reserved', 'settled', 'refunded'),
    charged: number().default(0),
    refunded: number().default(0),
    at: string(),
  }),
  computeKey: ({ userId, jobId }: { userId: string; jobId: string }) => ({ pk: `USER#${userId}`, sk: `BILLING#HOLD#${jobId}` }),
});
