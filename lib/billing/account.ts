import type { FormattedItem } from 'dynamodb-toolbox/entity';
import { $set } from 'dynamodb-toolbox/entity/actions/update';
import { GetItemCommand } from 'dynamodb-toolbox/entity/actions/get';
import { PutItemCommand } from 'dynamodb-toolbox/entity/actions/put';
import { UpdateTransaction } from 'dynamodb-toolbox/entity/actions/transactUpdate';
import { QueryCommand } from 'dynamodb-toolbox/table/actions/query';
import { BillingAccountEntity } from '../db/billing-account.ts';
import { AppTable } from '../db/table.ts';
import type { SubscriptionStatus, Tier, TierLimits } from '../contracts/billing.ts';
import { subscriptionStatusSchema, tierLimitsSchema } from '../contracts/billing.ts';
import { isTier, limitsFor, tierRank } from './tiers.ts';
import { grantCredits, transact, type LedgerDeps, type Tx } from './ledger.ts';
import { priceTarget, type PriceCatalog } from './prices.ts';
import type { StripeSubscription } from './stripe-objects.ts';
import { logger } from '../http/logger.ts';

export type AccountRecord = FormattedItem<typeof BillingAccountEntity>;

export interface AccountView {
  userId: string;
  tier: Tier;
  status: SubscriptionStatus;
  limits: TierLimits;
  interval: 'month' | 'year' | null;
  currentPeriodEnd: string | null;
  currentPeriodStart: string | null;
  cancelAtPeriodEnd: boolean;
  nextTier: Tier | null;
  stripeCustomerId: string | null;
  subscriptionId: string | null;
}

const PAYING = new Set(['active', 'trialing', 'past_due']);

/**
 * The tier an account is entitled to now (pure): an admin's enterprise assignment wins; a paying
 * subscription gives its price's tier, except that after a downgrade the tier paid for the
 * current period stays until `paidThrough`; anything else is free.
 */
export function effectiveTier(a: Partial<AccountRecord> | undefined, nowSec: number): { tier: Tier; nextTier: Tier | null } {
  if (!a) return { tier: 'free', nextTier: null };
  if (a.adminTier === 'enterprise') return { tier: 'enterprise', nextTier: null };
  const subTier = isTier(a.subscriptionTier) && PAYING.has(a.status ?? '') ? a.subscriptionTier : 'free';
  const paid = isTier(a.paidTier) ? a.paidTier : undefined;
  if (paid && a.paidThrough && nowSec < a.paidThrough && PAYING.has(a.status ?? '') && tierRank(paid) > tierRank(subTier)) {
    return { tier: paid, nextTier: subTier };
  }
  const nextTier = a.cancelAtPeriodEnd && subTier !== 'free' ? 'free' : null;
  return { tier: subTier, nextTier };
}

export function toView(userId: string, a: Partial<AccountRecord> | undefined, nowSec: number): AccountView {
  const { tier, nextTier } = effectiveTier(a, nowSec);
  const status = subscriptionStatusSchema.safeParse(a?.status ?? 'none');
  const overrides = tierLimitsSchema.partial().safeParse(a?.limitsOverride ?? {});
  const iso = (s: number | undefined) => (s ? new Date(s * 1000).toISOString() : null);
  return {
    userId,
    tier,
    status: status.success ? status.data : 'none',
    limits: limitsFor(tier, overrides.success ? overrides.data : undefined),
    interval: a?.interval === 'month' || a?.interval === 'year' ? a.interval : null,
    currentPeriodStart: iso(a?.currentPeriodStart),
    currentPeriodEnd: iso(a?.currentPeriodEnd),
    cancelAtPeriodEnd: a?.cancelAtPeriodEnd ?? false,
    nextTier,
    stripeCustomerId: a?.stripeCustomerId ?? null,
    subscriptionId: a?.subscriptionId ?? null,
  };
}

export async function readAccount(userId: string): Promise<AccountRecord | undefined> {
  const cmd = BillingAccountEntity.build(GetItemCommand).key({ userId }).options({ consistent: true });
  const { Item } = await cmd.send();
  return Item;
}

/** Creates the account item once (free tier, no customer yet). */
export async function ensureAccountRecord(userId: string): Promise<AccountRecord> {
  const existing = await readAccount(userId);
  if (existing) return existing;
  const item = { userId, status: 'none', cancelAtPeriodEnd: false, createdAt: new Date().toISOString() };
  try {
    const cmd = BillingAccountEntity.build(PutItemCommand).item(item).options({ condition: { attr: 'userId', exists: false } });
    await cmd.send();
  } catch (err) {
    if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
  }
  return (await readAccount(userId)) ?? (item as AccountRecord);
}

export const monthKey = (d: Date) => d.toISOString().slice(0, 7);

/**
 * Allowances granted on account access (not by invoices): the free tier, an admin-assigned
 * enterprise tier, and yearly plans (billed once a year, credited monthly). Once per month each,
 * replacing the previous month's allowance; pack credits stay.
 */
export function allowanceRef(userId: string, view: AccountView, now: Date): string | undefined {
  if (view.tier === 'free') return `free:${userId}:${monthKey(now)}`;
  if (view.tier === 'enterprise') return `enterprise:${userId}:${monthKey(now)}`;
  if (view.interval === 'year' && view.subscriptionId) return `yearly:${view.subscriptionId}:${monthKey(now)}`;
  return undefined;
}

/**
 * The account of a user, created on first access with the free tier; grants the month's
 * allowance once (idempotent per month), so a new user can run a small job right away.
 */
export async function getAccount(userId: string, deps: LedgerDeps = {}): Promise<AccountView> {
  const now = deps.now ? deps.now() : new Date();
  const record = await ensureAccountRecord(userId);
  const view = toView(userId, record, Math.floor(now.getTime() / 1000));
  const ref = allowanceRef(userId, view, now);
  if (ref && view.limits.monthlyCredits > 0) {
    const r = await grantCredits({ userId, ref, credits: view.limits.monthlyCredits, source: view.tier === 'free' ? 'free' : 'subscription', replace: true }, deps);
    if (!r.duplicate) logger.info('monthly allowance granted', { userId, ref, credits: r.granted, expired: r.expired });
  }
  return view;
}

/** Which user a Stripe customer belongs to (gsi1 `STRIPE_CUSTOMER#<id>`). */
export async function userIdForCustomer(customerId: string): Promise<string | undefined> {
  const cmd = AppTable.build(QueryCommand)
    .entities(BillingAccountEntity)
    .query({ index: 'gsi1', partition: `STRIPE_CUSTOMER#${customerId}` })
    .options({ limit: 1 });
  const { Items } = await cmd.send();
  return Items?.[0]?.userId;
}

export const customerIndex = (customerId: string) => ({ gsi1pk: `STRIPE_CUSTOMER#${customerId}`, gsi1sk: 'ACCOUNT' });

/**
 * The account fields that mirror a subscription freshly read from Stripe. `paid` (on invoice.paid)
 * also records the tier paid for the period.
 */
export function subscriptionFields(sub: StripeSubscription, prices: PriceCatalog) {
  const item = sub.items.data[0];
  if (!item) throw new Error(`Subscription ${sub.id} has no items`);
  const target = priceTarget(prices, item.price.id);
  if (!target || target.kind !== 'subscription') logger.warn('subscription price is not in this stage catalog', { priceId: item.price.id, subscriptionId: sub.id });
  return {
    subscriptionId: sub.id,
    stripeCustomerId: sub.customer,
    ...customerIndex(sub.customer),
    status: sub.status,
    subscriptionTier: target?.kind === 'subscription' ? target.tier : undefined,
    interval: target?.kind === 'subscription' ? target.interval : item.price.recurring?.interval,
    priceId: item.price.id,
    currentPeriodStart: item.current_period_start,
    currentPeriodEnd: item.current_period_end,
    cancelAtPeriodEnd: sub.cancel_at_period_end,
  };
}

export type AccountFields = Partial<Omit<AccountRecord, 'userId'>>;

export function accountUpdate(userId: string, fields: AccountFields): Tx {
  // Map values (limit overrides) replace the stored map as a whole: a nested update of a map that
  // does not exist yet is refused by DynamoDB ("document path … invalid for update").
  const clean = Object.fromEntries(
    Object.entries(fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, v !== null && typeof v === 'object' && !Array.isArray(v) ? $set(v) : v]),
  ) as AccountFields;
  return BillingAccountEntity.build(UpdateTransaction).item({ ...clean, userId });
}

/** Writes subscription state outside a webhook (after our own API calls to Stripe). */
export async function writeAccountFields(userId: string, fields: AccountFields, deps: LedgerDeps = {}): Promise<void> {
  await transact(deps, [accountUpdate(userId, fields)]);
}

/** Admin: put an account on the enterprise tier with per-account limit overrides. */
export async function setEnterpriseLimits(userId: string, limits: Partial<TierLimits>, deps: LedgerDeps = {}): Promise<AccountView> {
  const overrides = tierLimitsSchema.partial().parse(limits);
  await ensureAccountRecord(userId);
  await writeAccountFields(userId, { adminTier: 'enterprise', limitsOverride: overrides }, deps);
  return getAccount(userId, deps);
}

/** The subscription as GET /subscription and the cancel/resume routes answer it. */
export function subscriptionView(a: AccountView) {
  return {
    tier: a.tier,
    status: a.status,
    interval: a.interval,
    currentPeriodEnd: a.currentPeriodEnd,
    cancelAtPeriodEnd: a.cancelAtPeriodEnd,
    nextTier: a.nextTier,
    limits: a.limits,
  };
}
