import { Entity } from 'dynamodb-toolbox/entity';
import { item } from 'dynamodb-toolbox/schema/item';
import { string } from 'dynamodb-toolbox/schema/string';
import { number } from 'dynamodb-toolbox/schema/number';
import { boolean } from 'dynamodb-toolbox/schema/boolean';
import { any } from 'dynamodb-toolbox/schema/any';
import { AppTable } from './table.ts';

/**
 * A user's billing account: Stripe customer, the subscription state last read from Stripe, the
 * tier whose credits were granted for the current period, and admin overrides (enterprise).
 * Access patterns: by user (pk), by Stripe customer (gsi1 `STRIPE_CUSTOMER#<id>`).
 */
export const BillingAccountEntity = new Entity({
  name: 'BillingAccount',
  table: AppTable,
  timestamps: false,
  schema: item({
    userId: string().key(),
    stripeCustomerId: string().optional(),
    gsi1pk: string().optional(),
    gsi1sk: string().optional(),
    subscriptionId: string().optional(),
    /** Stripe subscription status, or 'none'. */
    status: string().default('none'),
    /** Tier of the subscription's current price (what Stripe bills now). */
    subscriptionTier: string().optional(),
    interval: string().optional(),
    priceId: string().optional(),
    currentPeriodStart: number().optional(),
    currentPeriodEnd: number().optional(),
    cancelAtPeriodEnd: boolean().default(false),
    /** Tier paid for the current period (downgrades keep it until the period ends). */
    paidTier: string().optional(),
    paidThrough: number().optional(),
    /** Admin-assigned tier (enterprise) and its limit overrides. */
    adminTier: string().optional(),
    limitsOverride: any().optional(),
    /** Stripe `created`/event time of the last subscription state written, for logs. */
    syncedAt: string().optional(),
    createdAt: string().optional(),
  }),
  computeKey: ({ userId }: { userId: string }) => ({ pk: `USER#${userId}`, sk: 'BILLING#ACCOUNT' }),
});
