import { Entity } from 'dynamodb-toolbox/entity';
import { item } from 'dynamodb-toolbox/schema/item';
import { string } from 'dynamodb-toolbox/schema/string';
import { number } from 'dynamodb-toolbox/schema/number';
import { AppTable } from './table.ts';

/**
 * One append-only ledger entry. The key is deterministic (kind + ref), so writing it with
 * attribute_not_exists makes each operation happen once: grant per invoice/checkout id, reserve /
 * settle / refund per job id. gsi1 (`LEDGER#<userId>`, `<iso time>#<kind>#<ref>`) lists the ledger
 * in time order.
 */
export const CreditLedgerEntity = new Entity({
  name: 'CreditLedgerEntry',
  table: AppTable,
  timestamps: false,
  schema: item({
    userId: string().key(),
    kind: string().enum('grant', 'reserve', 'settle', 'refund', 'expire', 'adjust').key(),
    ref: string().key(),
    /** Signed change of the available balance. */
    amount: number(),
    /** subscription | free | pack | job | admin | revoke | renewal */
    source: string().optional(),
    at: string(),
    gsi1pk: string(),
    gsi1sk: string(),
  }),
  computeKey: ({ userId, kind, ref }: { userId: string; kind: string; ref: string }) => ({
    pk: `USER#${userId}`,
    sk: `BILLING#LEDGER#${kind}#${ref}`,
  }),
});

export const ledgerIndexKey = (userId: string) => `LEDGER#${userId}`;
