import type Stripe from 'stripe';
import { UpdateItemCommand } from 'dynamodb-toolbox/entity/actions/update';
import { BillingAccountEntity } from '../db/billing-account.ts';
import { ConflictError, UnavailableError } from '../http/errors.ts';
import type { BillingInterval, PackId, PaidTier, Tier } from '../contracts/billing.ts';
import { packPriceKey, priceTarget, subscriptionPriceKey, type PriceCatalog } from './prices.ts';
import { tierRank } from './tiers.ts';
import { customerIndex, ensureAccountRecord, getAccount, readAccount, subscriptionFields, writeAccountFields, type AccountView } from './account.ts';
import { stripeSubscription, type StripeSubscription } from './stripe-objects.ts';
import type { LedgerDeps } from './ledger.ts';

export interface BillingDeps extends LedgerDeps {
  stripe: Stripe;
  prices: PriceCatalog;
  /** Where Checkout and the portal send the user back (the portal's billing page). */
  portalUrl: string;
}

const ACTIVE = new Set(['active', 'trialing', 'past_due']);

function price(prices: PriceCatalog, key: string): string {
  const id = prices[key];
  if (!id) throw new UnavailableError(`No Stripe price is configured for ${key} on this stage`);
  return id;
}

/**
 * The user's Stripe customer, created once: the create call carries an idempotency key derived
 * from the user id, and the id is stored with a condition so concurrent first calls agree.
 */
export async function ensureCustomer(userId: string, email: string | undefined, deps: BillingDeps): Promise<string> {
  const account = await ensureAccountRecord(userId);
  if (account.stripeCustomerId) return account.stripeCustomerId;
  const customer = await deps.stripe.customers.create(
    { metadata: { userId }, ...(email ? { email } : {}) },
    { idempotencyKey: `clipforge-customer-${userId}` },
  );
  try {
    await BillingAccountEntity.build(UpdateItemCommand)
      .item({ userId, stripeCustomerId: customer.id, ...customerIndex(customer.id) })
      .options({ condition: { attr: 'stripeCustomerId', exists: false } })
      .send();
    return customer.id;
  } catch (err) {
    if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
    const stored = (await readAccount(userId))?.stripeCustomerId;
    if (!stored) throw err;
    return stored;
  }
}

const returnUrl = (deps: BillingDeps, q: string) => `${deps.portalUrl.replace(/\/$/, '')}/billing?${q}`;

export async function createSubscriptionCheckout(
  user: { userId: string; email?: string },
  input: { tier: PaidTier; interval: BillingInterval },
  deps: BillingDeps,
): Promise<{ url: string }> {
  const priceId = price(deps.prices, subscriptionPriceKey(input.tier, input.interval));
  const account = await readAccount(user.userId);
  if (account?.subscriptionId && ACTIVE.has(account.status)) {
    throw new ConflictError('You already have a subscription; change it with POST /subscription/change', 'SUBSCRIPTION_EXISTS');
  }
  const customer = await ensureCustomer(user.userId, user.email, deps);
  const session = await deps.stripe.checkout.sessions.create({
    mode: 'subscription',
    customer,
    client_reference_id: user.userId,
    line_items: [{ price: priceId, quantity: 1 }],
    metadata: { userId: user.userId, tier: input.tier, interval: input.interval },
    subscription_data: { metadata: { userId: user.userId } },
    success_url: returnUrl(deps, 'checkout=success&session_id={CHECKOUT_SESSION_ID}'),
    cancel_url: returnUrl(deps, 'checkout=cancel'),
  });
  if (!session.url) throw new UnavailableError('Stripe returned no checkout URL');
  return { url: session.url };
}

export async function createPackCheckout(user: { userId: string; email?: string }, pack: PackId, deps: BillingDeps): Promise<{ url: string }> {
  const priceId = price(deps.prices, packPriceKey(pack));
  const customer = await ensureCustomer(user.userId, user.email, deps);
  const session = await deps.stripe.checkout.sessions.create({
    mode: 'payment',
    customer,
    client_reference_id: user.userId,
    line_items: [{ price: priceId, quantity: 1 }],
    metadata: { userId: user.userId, pack },
    payment_intent_data: { metadata: { userId: user.userId, pack } },
    success_url: returnUrl(deps, 'credits=success&session_id={CHECKOUT_SESSION_ID}'),
    cancel_url: returnUrl(deps, 'credits=cancel'),
  });
  if (!session.url) throw new UnavailableError('Stripe returned no checkout URL');
  return { url: session.url };
}

async function currentSubscription(userId: string, deps: BillingDeps): Promise<StripeSubscription> {
  const account = await readAccount(userId);
  if (!account?.subscriptionId || !ACTIVE.has(account.status)) throw new ConflictError('You have no active subscription', 'NO_SUBSCRIPTION');
  return stripeSubscription.parse(await deps.stripe.subscriptions.retrieve(account.subscriptionId));
}

async function mirror(userId: string, raw: unknown, deps: BillingDeps): Promise<AccountView> {
  const sub = stripeSubscription.parse(raw);
  await writeAccountFields(userId, subscriptionFields(sub, deps.prices), deps);
  return getAccount(userId, deps);
}

/**
 * Upgrade: the new price applies now and Stripe invoices the prorated difference immediately
 * (its invoice.paid tops up the credits). Downgrade: the new price applies from the next period
 * (no proration); the paid tier stays until the period ends.
 */
export async function changeSubscription(
  userId: string,
  tier: PaidTier,
  deps: BillingDeps,
): Promise<{ tier: Tier; nextTier: Tier | null; effective: 'now' | 'period_end' }> {
  const sub = await currentSubscription(userId, deps);
  const item = sub.items.data[0];
  if (!item) throw new ConflictError('Your subscription has no items', 'NO_SUBSCRIPTION');
  const current = priceTarget(deps.prices, item.price.id);
  if (current?.kind !== 'subscription') throw new ConflictError('Your subscription is on a plan that cannot be changed here', 'PLAN_NOT_CHANGEABLE');
  if (current.tier === tier) throw new ConflictError(`You are already on ${tier}`, 'SAME_TIER');
  const newPrice = price(deps.prices, subscriptionPriceKey(tier, current.interval));
  const upgrade = tierRank(tier) > tierRank(current.tier);
  const updated = await deps.stripe.subscriptions.update(sub.id, {
    items: [{ id: item.id, price: newPrice }],
    proration_behavior: upgrade ? 'always_invoice' : 'none',
    ...(upgrade ? { payment_behavior: 'error_if_incomplete' as const } : {}),
    cancel_at_period_end: false,
  });
  const view = await mirror(userId, updated, deps);
  return { tier: view.tier, nextTier: view.nextTier, effective: upgrade ? 'now' : 'period_end' };
}

export async function setCancelAtPeriodEnd(userId: string, cancel: boolean, deps: BillingDeps): Promise<AccountView> {
  const sub = await currentSubscription(userId, deps);
  if (sub.cancel_at_period_end === cancel) return getAccount(userId, deps);
  return mirror(userId, await deps.stripe.subscriptions.update(sub.id, { cancel_at_period_end: cancel }), deps);
}

export async function createPortalSession(userId: string, deps: BillingDeps): Promise<{ url: string }> {
  const account = await readAccount(userId);
  if (!account?.stripeCustomerId) throw new ConflictError('You have no billing history yet', 'NO_CUSTOMER');
  const session = await deps.stripe.billingPortal.sessions.create({ customer: account.stripeCustomerId, return_url: returnUrl(deps, 'portal=return') });
  return { url: session.url };
}
