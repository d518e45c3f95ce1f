import { Entity } from 'dynamodb-toolbox/entity';
import { item } from 'dynamodb-toolbox/schema/item';
import { string } from 'dynamodb-toolbox/schema/string';
import { number } from 'dynamodb-toolbox/schema/number';
import { AppTable } from './table.ts';

/** A paid credit pack (one Checkout session); gsi1 `PAYMENT#<payment_intent>` finds it on refunds. */
export const PackPurchaseEntity = new Entity({
  name: 'PackPurchase',
  table: AppTable,
  timestamps: false,
  schema: item({
    userId: string().key(),
    checkoutId: string().key(),
    pack: string(),
    credits: number(),
    paymentIntentId: string().optional(),
    status: string().enum('paid', 'refunded'),
    at: string(),
    gsi1pk: string().optional(),
    gsi1sk: string().optional(),
  }),
  computeKey: ({ userId, checkoutId }: { userId: string; checkoutId: string }) => ({ pk: `USER#${userId}`, sk: `BILLING#PACK#${checkoutId}` }),
});
