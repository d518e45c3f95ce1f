import type Stripe from 'stripe';
import { QueryCommand } from 'dynamodb-toolbox/table/actions/query';
import { PutTransaction } from 'dynamodb-toolbox/entity/actions/transactPut';
import { UpdateTransaction } from 'dynamodb-toolbox/entity/actions/transactUpdate';
import { AppTable, ttlIn } from '../db/table.ts';
import { StripeEventEntity } from '../db/stripe-event.ts';
import { PackPurchaseEntity } from '../db/pack-purchase.ts';
import { BadRequestError } from '../http/errors.ts';
import { logger } from '../http/logger.ts';
import { packSchema } from '../contracts/billing.ts';
import { PACK_CREDITS, TIER_LIMITS, isTier, tierRank } from './tiers.ts';
import { priceTarget, type PriceCatalog } from './prices.ts';
import {
  cancellationCodes,
  planAddGrant,
  planReplaceGrant,
  planRevoke,
  readBalance,
  RetryableRaceError,
  transact,
  withRetries,
  type LedgerDeps,
  type Tx,
} from './ledger.ts';
import { accountUpdate, monthKey, readAccount, subscriptionFields, userIdForCustomer, type AccountFields } from './account.ts';
import {
  stripeCharge,
  stripeCheckoutSession,
  stripeEventEnvelope,
  stripeInvoice,
  stripeSubscription,
  type StripeEventEnvelope,
  type StripeSubscription,
} from './stripe-objects.ts';

export interface WebhookDeps extends LedgerDeps {
  stripe: Stripe;
  secret: string;
  prices: PriceCatalog;
  /** Seconds since the epoch (tests move the clock). */
  nowSeconds?: () => number;
  /** How old a signature may be (Stripe's default 300 s) and how far in the future (clock skew). */
  toleranceSeconds?: number;
  futureSkewSeconds?: number;
}

export const EVENT_RETENTION_SECONDS = 30 * 24 * 3600;

/**
 * Verifies the Stripe-Signature header over the raw body and returns the event envelope.
 * Missing header, bad signature, stale or future timestamp, malformed payload → 400.
 */
export function verifyStripeEvent(rawBody: string, header: string | undefined, deps: WebhookDeps): StripeEventEnvelope {
  if (!header) throw new BadRequestError('Missing Stripe-Signature header', undefined, 'INVALID_SIGNATURE');
  const now = deps.nowSeconds ? deps.nowSeconds() : Math.floor(Date.now() / 1000);
  const t = /(?:^|,)\s*t=(\d{1,12})(?:,|$)/.exec(header)?.[1];
  if (!t) throw new BadRequestError('Stripe-Signature has no timestamp', undefined, 'INVALID_SIGNATURE');
  if (Number(t) > now + (deps.futureSkewSeconds ?? 60)) {
    throw new BadRequestError('Stripe-Signature timestamp is in the future', undefined, 'INVALID_SIGNATURE');
  }
  let event: unknown;
  try {
    event = deps.stripe.webhooks.constructEvent(rawBody, header, deps.secret, deps.toleranceSeconds ?? 300, undefined, now * 1000);
  } catch (err) {
    throw new BadRequestError(`Invalid Stripe signature: ${(err as Error).message}`, undefined, 'INVALID_SIGNATURE');
  }
  const parsed = stripeEventEnvelope.safeParse(event);
  if (!parsed.success) throw new BadRequestError('Malformed Stripe event', undefined, 'INVALID_PAYLOAD');
  return parsed.data;
}

/** What one event changes: transaction items (the dedupe marker is added first), and which failures mean "already done". */
interface Plan {
  items: Tx[];
  /** Indexes (in `items`) of idempotency items: their condition failing means the effect already happened. */
  once: number[];
  /** Indexes of optimistic (version-conditioned) items: their condition failing means retry. */
  optimistic: number[];
  note: string;
}
const noop = (note: string): Plan => ({ items: [], once: [], optimistic: [], note });

export type WebhookOutcome = 'processed' | 'duplicate' | 'ignored';

/**
 * Applies one verified event: re-reads the objects from the Stripe API (event order and payloads
 * are not trusted), then writes the effect and the event-id marker in ONE transaction. A failure
 * writes nothing and throws (→ non-2xx, Stripe retries).
 */
export async function processStripeEvent(event: StripeEventEnvelope, deps: WebhookDeps): Promise<{ outcome: WebhookOutcome; note: string }> {
  return withRetries(async () => {
    const plan = await planEvent(event, deps);
    if (plan.items.length === 0) return { outcome: 'ignored' as const, note: plan.note };
    const marker = StripeEventEntity.build(PutTransaction)
      .item({ eventId: event.id, type: event.type, processedAt: new Date().toISOString(), expiresAt: ttlIn(EVENT_RETENTION_SECONDS) })
      .options({ condition: { attr: 'eventId', exists: false } });
    try {
      await transact(deps, [marker, ...plan.items]);
      return { outcome: 'processed' as const, note: plan.note };
    } catch (err) {
      const codes = cancellationCodes(err);
      if (!codes) throw err;
      const failed = (i: number) => codes[i + 1] === 'ConditionalCheckFailed';
      if (codes[0] === 'ConditionalCheckFailed' || plan.once.some(failed)) return { outcome: 'duplicate' as const, note: plan.note };
      if (plan.optimistic.some(failed)) throw new RetryableRaceError('balance changed during webhook', { cause: err });
      throw err;
    }
  });
}

async function planEvent(event: StripeEventEnvelope, deps: WebhookDeps): Promise<Plan> {
  const objectId = event.data.object.id;
  switch (event.type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded':
      return planCheckout(objectId, deps);
    case 'customer.subscription.created':
    case 'customer.subscription.updated':
    case 'customer.subscription.deleted':
    case 'customer.subscription.paused':
    case 'customer.subscription.resumed':
    case 'invoice.payment_failed':
      return planSubscriptionSync(event.type === 'invoice.payment_failed' ? await subscriptionOfInvoice(objectId, deps) : objectId, deps);
    case 'invoice.paid':
      return planInvoicePaid(objectId, deps);
    case 'charge.refunded':
      return planChargeRefunded(objectId, deps);
    default:
      return noop(`unhandled event type ${event.type}`);
  }
}

async function retrieveSubscription(id: string, deps: WebhookDeps): Promise<StripeSubscription> {
  return stripeSubscription.parse(await deps.stripe.subscriptions.retrieve(id));
}

async function subscriptionOfInvoice(invoiceId: string, deps: WebhookDeps): Promise<string | undefined> {
  const invoice = stripeInvoice.parse(await deps.stripe.invoices.retrieve(invoiceId));
  return invoice.parent?.subscription_details?.subscription;
}

async function userOf(sub: StripeSubscription): Promise<string | undefined> {
  return sub.metadata.userId || (await userIdForCustomer(sub.customer));
}

/** Mirrors the subscription as Stripe reports it NOW (so out-of-order events converge). */
async function planSubscriptionSync(subscriptionId: string | undefined, deps: WebhookDeps, extra: AccountFields = {}): Promise<Plan> {
  if (!subscriptionId) return noop('no subscription');
  const sub = await retrieveSubscription(subscriptionId, deps);
  const userId = await userOf(sub);
  if (!userId) throw new Error(`No account for Stripe customer ${sub.customer}`);
  const account = await readAccount(userId);
  const ended = sub.status === 'canceled' || sub.status === 'incomplete_expired';
  if (ended && account?.subscriptionId && account.subscriptionId !== sub.id) return noop(`ignored end of an older subscription ${sub.id}`);
  return { items: [accountUpdate(userId, { ...subscriptionFields(sub, deps.prices), ...extra })], once: [], optimistic: [], note: `synced ${sub.id} (${sub.status})` };
}

async function planCheckout(sessionId: string, deps: WebhookDeps): Promise<Plan> {
  const session = stripeCheckoutSession.parse(await deps.stripe.checkout.sessions.retrieve(sessionId));
  const userId = session.client_reference_id ?? session.metadata.userId;
  if (!userId) return noop(`checkout ${session.id} has no user`);
  if (session.mode === 'subscription') {
    return planSubscriptionSync(session.subscription ?? undefined, deps, session.customer ? { stripeCustomerId: session.customer } : {});
  }
  if (session.mode !== 'payment' || session.payment_status !== 'paid') return noop(`checkout ${session.id} not paid yet`);
  const pack = packSchema.safeParse(session.metadata.pack);
  if (!pack.success) return noop(`checkout ${session.id} is not a credit pack`);
  const credits = PACK_CREDITS[pack.data];
  const at = new Date();
  const grant = planAddGrant(userId, `checkout:${session.id}`, credits, 'pack', at);
  const purchase = PackPurchaseEntity.build(PutTransaction)
    .item({
      userId,
      checkoutId: session.id,
      pack: pack.data,
      credits,
      paymentIntentId: session.payment_intent ?? undefined,
      status: 'paid',
      at: at.toISOString(),
      ...(session.payment_intent ? { gsi1pk: `PAYMENT#${session.payment_intent}`, gsi1sk: 'PACK' } : {}),
    })
    .options({ condition: { attr: 'checkoutId', exists: false } });
  return { items: [...grant.items, purchase], once: [0, grant.items.length], optimistic: [], note: `pack ${pack.data} (+${credits}) for ${userId}` };
}

/**
 * invoice.paid: a new period (subscription_create / subscription_cycle) REPLACES the previous
 * period's credits with the tier's monthly credits, once per invoice id (yearly plans: once per
 * month, the other months come from the monthly allowance); an upgrade's proration invoice
 * (subscription_update) tops up the difference between the tiers.
 */
async function planInvoicePaid(invoiceId: string, deps: WebhookDeps): Promise<Plan> {
  const invoice = stripeInvoice.parse(await deps.stripe.invoices.retrieve(invoiceId));
  const subscriptionId = invoice.parent?.subscription_details?.subscription;
  if (!subscriptionId) return noop(`invoice ${invoice.id} is not for a subscription`);
  if (invoice.status && invoice.status !== 'paid') return noop(`invoice ${invoice.id} is ${invoice.status}`);
  const sub = await retrieveSubscription(subscriptionId, deps);
  const userId = await userOf(sub);
  if (!userId) throw new Error(`No account for Stripe customer ${sub.customer}`);
  const fields = subscriptionFields(sub, deps.prices);
  const target = priceTarget(deps.prices, fields.priceId);
  if (!target || target.kind !== 'subscription') return planSubscriptionSync(sub.id, deps);
  const tier = target.tier;
  const credits = TIER_LIMITS[tier].monthlyCredits;
  const at = new Date();
  const account = await readAccount(userId);
  const reason = invoice.billing_reason ?? '';
  const periodEnd = fields.currentPeriodEnd;
  if (reason === 'subscription_create' || reason === 'subscription_cycle') {
    const ref = target.interval === 'year' ? `yearly:${sub.id}:${monthKey(at)}` : `invoice:${invoice.id}`;
    const grant = planReplaceGrant(userId, ref, credits, 'subscription', at, await readBalance(userId));
    const update = accountUpdate(userId, { ...fields, paidTier: tier, paidThrough: periodEnd });
    return { items: [...grant.items, update], once: [0], optimistic: [grant.items.length - 1], note: `period grant ${credits} (${tier}) for ${userId}` };
  }
  if (reason === 'subscription_update') {
    const before = isTier(account?.paidTier) ? account.paidTier : 'free';
    const topUp = Math.max(0, credits - TIER_LIMITS[before].monthlyCredits);
    const update = accountUpdate(userId, { ...fields, ...(tierRank(tier) > tierRank(before) ? { paidTier: tier, paidThrough: periodEnd } : {}) });
    if (topUp === 0) return { items: [update], once: [], optimistic: [], note: `proration invoice without top-up for ${userId}` };
    const grant = planAddGrant(userId, `invoice:${invoice.id}`, topUp, 'subscription', at);
    return { items: [...grant.items, update], once: [0], optimistic: [], note: `upgrade top-up ${topUp} (${before}→${tier}) for ${userId}` };
  }
  return planSubscriptionSync(sub.id, deps);
}

/** A fully refunded credit pack takes back its credits (what is still available of them). */
async function planChargeRefunded(chargeId: string, deps: WebhookDeps): Promise<Plan> {
  const charge = stripeCharge.parse(await deps.stripe.charges.retrieve(chargeId));
  if (!charge.refunded) return noop(`charge ${charge.id} only partially refunded; credits kept`);
  if (!charge.payment_intent) return noop(`charge ${charge.id} has no payment intent`);
  const { Items } = await AppTable.build(QueryCommand)
    .entities(PackPurchaseEntity)
    .query({ index: 'gsi1', partition: `PAYMENT#${charge.payment_intent}` })
    .options({ limit: 1 })
    .send();
  const purchase = Items?.[0];
  if (!purchase) return noop(`charge ${charge.id} is not a credit pack`);
  if (purchase.status !== 'paid') return noop(`pack ${purchase.checkoutId} already refunded`);
  const at = new Date();
  const revoke = planRevoke(purchase.userId, `refund:${purchase.checkoutId}`, purchase.credits, true, at, await readBalance(purchase.userId));
  const mark = PackPurchaseEntity.build(UpdateTransaction)
    .item({ userId: purchase.userId, checkoutId: purchase.checkoutId, status: 'refunded' })
    .options({ condition: { attr: 'status', eq: 'paid' } });
  return {
    items: [...revoke.items, mark],
    once: [0, revoke.items.length],
    optimistic: [revoke.items.length - 1],
    note: `pack ${purchase.checkoutId} refunded: -${revoke.revoked}`,
  };
}

/** The raw body as Stripe signed it (API Gateway base64-encodes binary bodies). */
export function rawBodyOf(event: { body?: string | null; isBase64Encoded?: boolean }): string {
  const body = event.body ?? '';
  return event.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
}

export async function handleStripeWebhook(
  input: { body?: string | null; isBase64Encoded?: boolean; signature: string | undefined },
  deps: WebhookDeps,
): Promise<{ received: true; outcome: WebhookOutcome }> {
  const event = verifyStripeEvent(rawBodyOf(input), input.signature, deps);
  const result = await processStripeEvent(event, deps);
  logger.info('stripe event', { eventId: event.id, type: event.type, outcome: result.outcome, note: result.note });
  return { received: true, outcome: result.outcome };
}
