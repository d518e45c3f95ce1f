import { Entity } from 'dynamodb-toolbox/entity';
import { item } from 'dynamodb-toolbox/schema/item';
import { string } from 'dynamodb-toolbox/schema/string';
import { number } from 'dynamodb-toolbox/schema/number';
import { AppTable } from './table.ts';

/**
 * The balance item of a user's credit ledger. Changed only inside TransactWriteItems together with
 * a ledger entry. Invariant: granted = balance + reserved + spent + expired.
 * `packCredits` is the part of the balance bought as packs (never expires); `version` grows on
 * every change so the rare read-compute-write operations (period renewal) can be optimistic.
 */
export const CreditBalanceEntity = new Entity({
  name: 'CreditBalance',
  table: AppTable,
  timestamps: false,
  schema: item({
    userId: string().key(),
    balance: number().default(0),
    reserved: number().default(0),
    spent: number().default(0),
    granted: number().default(0),
    expired: number().default(0),
    packCredits: number().default(0),
    version: number().default(0),
  }),
  computeKey: ({ userId }: { userId: string }) => ({ pk: `USER#${userId}`, sk: 'BILLING#BALANCE' }),
});
