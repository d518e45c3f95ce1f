import { Entity } from 'dynamodb-toolbox/entity';
import { item } from 'dynamodb-toolbox/schema/item';
import { string } from 'dynamodb-toolbox/schema/string';
import { number } from 'dynamodb-toolbox/schema/number';
import { AppTable } from './table.ts';

/** A processed Stripe event id, written in the same transaction as the event's effect (dedupe). */
export const StripeEventEntity = new Entity({
  name: 'StripeEvent',
  table: AppTable,
  timestamps: false,
  schema: item({
    eventId: string().key(),
    type: string(),
    processedAt: string(),
    expiresAt: number(),
  }),
  computeKey: ({ eventId }: { eventId: string }) => ({ pk: `STRIPE_EVENT#${eventId}`, sk: 'STRIPE_EVENT' }),
});
