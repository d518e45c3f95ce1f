import type Stripe from 'stripe';
import { UpdateItemCommand } from 'dynamodb-toolbox/entity/actions/update';
import { BillingAccountEntity } from '../db/billing-account.ts';
import { ConflictError, UnavailableError } from '../http/errors.ts';
import type { BillingInterval, PackId, PaidTier, SubscriptionPreview, Tier } from '../contracts/billing.ts';
import { packPriceKey, priceTarget, subscriptionPriceKey, type PriceCatalog } from './prices.ts';
import { tierRank } from './tiers.ts';
import { customerIndex, ensureAccountRecord, getAccount, readAccount, subscriptionFields, writeAccountFields, type AccountView } from './account.ts';
import { stripePreviewInvoice, stripeSubscription, type StripePreviewInvoice, type StripeSubscription } from './stripe-objects.ts';
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

interface PlannedChange {
  sub: StripeSubscription;
  item: StripeSubscription['items']['data'][number];
  current: { tier: PaidTier; interval: BillingInterval };
  newPrice: string;
  upgrade: boolean;
}

/** What a change to `tier` means for the caller's subscription (shared by change and preview). */
async function planChange(userId: string, tier: PaidTier, deps: BillingDeps): Promise<PlannedChange> {
  const sub = await currentSubscription(userId, deps);
  const item = sub.items.data[0];
  if (!item) throw new ConflictError('Your subscription has no items', 'NO_SUBSCRIPTION');
  const current = priceTarget(deps.prices, item.price.id);
  if (current?.kind !== 'subscription') throw new ConflictError('Your subscription is on a plan that cannot be changed here', 'PLAN_NOT_CHANGEABLE');
  if (current.tier === tier) throw new ConflictError(`You are already on ${tier}`, 'SAME_TIER');
  const newPrice = price(deps.prices, subscriptionPriceKey(tier, current.interval));
  return { sub, item, current: { tier: current.tier, interval: current.interval }, newPrice, upgrade: tierRank(tier) > tierRank(current.tier) };
}

/** A proration moment Stripe accepts: inside the current period. */
const withinPeriod = (item: PlannedChange['item'], at: number) => Math.min(Math.max(at, item.current_period_start), item.current_period_end - 1);
const PRORATION_DATE_MAX_AGE_SECONDS = 3600;

/** The preview's proration date when it is recent (≤ 1 h, not in the future); otherwise Stripe's "now". */
function requestedProrationDate(item: PlannedChange['item'], nowSec: number, requested: number | undefined): number | undefined {
  if (requested === undefined || requested > nowSec + 60 || requested < nowSec - PRORATION_DATE_MAX_AGE_SECONDS) return undefined;
  return withinPeriod(item, requested);
}

/**
 * Upgrade: the new price applies now and Stripe invoices the prorated difference immediately
 * (its invoice.paid tops up the credits); `prorationDate` (from the preview, at most an hour old)
 * makes the charge the previewed one. Downgrade: the new price applies from the next period
 * (no proration); the paid tier stays until the period ends.
 */
export async function changeSubscription(
  userId: string,
  tier: PaidTier,
  deps: BillingDeps,
  opts: { prorationDate?: number; now?: Date } = {},
): Promise<{ tier: Tier; nextTier: Tier | null; effective: 'now' | 'period_end' }> {
  const { sub, item, newPrice, upgrade } = await planChange(userId, tier, deps);
  const prorationDate = requestedProrationDate(item, Math.floor((opts.now ?? new Date()).getTime() / 1000), opts.prorationDate);
  const updated = await deps.stripe.subscriptions.update(sub.id, {
    items: [{ id: item.id, price: newPrice }],
    proration_behavior: upgrade ? 'always_invoice' : 'none',
    ...(upgrade ? { payment_behavior: 'error_if_incomplete' as const } : {}),
    ...(upgrade && prorationDate !== undefined ? { proration_date: prorationDate } : {}),
    cancel_at_period_end: false,
  });
  const view = await mirror(userId, updated, deps);
  return { tier: view.tier, nextTier: view.nextTier, effective: upgrade ? 'now' : 'period_end' };
}

const iso = (sec: number | null | undefined) => (typeof sec === 'number' ? new Date(sec * 1000).toISOString() : null);

/**
 * Turns Stripe's preview invoice into what the portal shows (pure). Upgrades are made with
 * `always_invoice`, so the proration lines are charged at once (a negative total is not charged:
 * Stripe keeps it as customer credit) and the next regular invoice holds only the new price's
 * lines. A downgrade has no proration: nothing now, the preview is the next invoice.
 */
export function summarizePreview(
  invoice: StripePreviewInvoice,
  change: { currentTier: PaidTier; tier: PaidTier; interval: BillingInterval; upgrade: boolean; prorationDate: number | null; periodEnd: number },
): SubscriptionPreview {
  const lines = invoice.lines.data.map((l) => ({
    description: l.description ?? '',
    amount: l.amount,
    proration: !!(l.parent?.subscription_item_details?.proration ?? l.parent?.invoice_item_details?.proration),
    periodStart: iso(l.period?.start),
    periodEnd: iso(l.period?.end),
  }));
  const prorationAmount = lines.filter((l) => l.proration).reduce((s, l) => s + l.amount, 0);
  const regular = lines.filter((l) => !l.proration).reduce((s, l) => s + l.amount, 0);
  return {
    currentTier: change.currentTier,
    tier: change.tier,
    interval: change.interval,
    effective: change.upgrade ? 'now' : 'period_end',
    currency: invoice.currency,
    amountDue: change.upgrade ? Math.max(0, prorationAmount) : 0,
    prorationAmount: change.upgrade ? prorationAmount : 0,
    prorationDate: change.upgrade ? (invoice.subscription_proration_date ?? change.prorationDate) : null,
    nextPaymentAt: iso(invoice.next_payment_attempt ?? invoice.period_end ?? change.periodEnd) ?? new Date(change.periodEnd * 1000).toISOString(),
    nextPaymentAmount: change.upgrade ? regular : invoice.amount_due,
    lines,
  };
}

/**
 * What changing to `tier` would cost, from Stripe's upcoming-invoice preview (nothing changes).
 * Upgrade: the subscription item on the new price with `create_prorations` as of now (the same
 * `proration_date` is accepted by POST /subscription/change). Downgrade: the new price without
 * proration, i.e. the next invoice.
 */
export async function previewChange(
  userId: string,
  input: { tier: PaidTier; interval?: BillingInterval },
  deps: BillingDeps,
  now: Date = new Date(),
): Promise<SubscriptionPreview> {
  const { sub, item, current, newPrice, upgrade } = await planChange(userId, input.tier, deps);
  if (input.interval && input.interval !== current.interval) {
    throw new ConflictError(`Plan changes keep your billing interval (${current.interval}); change the interval in Manage billing`, 'INTERVAL_CHANGE_UNSUPPORTED');
  }
  const prorationDate = upgrade ? withinPeriod(item, Math.floor(now.getTime() / 1000)) : null;
  const raw = await deps.stripe.invoices.createPreview({
    customer: sub.customer,
    subscription: sub.id,
    subscription_details: {
      items: [{ id: item.id, price: newPrice }],
      cancel_at_period_end: false, // as the change itself does
      ...(prorationDate !== null ? { proration_behavior: 'create_prorations' as const, proration_date: prorationDate } : { proration_behavior: 'none' as const }),
    },
  });
  return summarizePreview(stripePreviewInvoice.parse(raw), {
    currentTier: current.tier,
    tier: input.tier,
    interval: current.interval,
    upgrade,
    prorationDate,
    periodEnd: item.current_period_end,
  });
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
