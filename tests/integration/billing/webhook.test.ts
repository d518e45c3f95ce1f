import { jest, afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Stripe from 'stripe';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetItemCommand } from 'dynamodb-toolbox/entity/actions/get';
import { startStripeDouble, type DoubleState } from '../../../dev/doubles/stripe.ts';
import { handleStripeWebhook, type WebhookDeps } from '../../../lib/billing/webhook.ts';
import { getAccount, readAccount } from '../../../lib/billing/account.ts';
import { changeSubscription, setCancelAtPeriodEnd, type BillingDeps } from '../../../lib/billing/subscriptions.ts';
import { getBalance } from '../../../lib/billing/ledger.ts';
import { StripeEventEntity } from '../../../lib/db/stripe-event.ts';
import { documentClient } from '../../../lib/aws/clients.ts';
import { publicRoute, json } from '../../../lib/http/http.ts';
import { BadRequestError } from '../../../lib/http/errors.ts';
import { TIER_LIMITS, PACK_CREDITS } from '../../../lib/billing/tiers.ts';
import { expectInvariant, newUserId } from './helpers.ts';

// The machine may be loaded: DynamoDB Local transactions and webhook round trips get generous time.
jest.setTimeout(90_000);

/**
 * The webhook against DynamoDB Local and a private Stripe double (no automatic delivery: the
 * test decides which events arrive, how often and in which order).
 */
const SECRET = 'whsec_billing_webhook_test';
const PRICES = {
  basic_month: 'price_local_basic_month',
  basic_year: 'price_local_basic_year',
  pro_month: 'price_local_pro_month',
  pro_year: 'price_local_pro_year',
  pack_small: 'price_local_pack_small',
  pack_medium: 'price_local_pack_medium',
  pack_large: 'price_local_pack_large',
};
let double: Awaited<ReturnType<typeof startStripeDouble>>;
let state: DoubleState;
let stripe: Stripe;
let deps: WebhookDeps;
let billing: BillingDeps;

beforeAll(async () => {
  double = await startStripeDouble({ port: 0, webhookSecret: SECRET });
  state = double.state;
  const u = new URL(double.url);
  stripe = new Stripe('sk_test_webhook_suite', { host: u.hostname, port: Number(u.port), protocol: 'http', maxNetworkRetries: 0 });
  deps = { stripe, secret: SECRET, prices: PRICES };
  billing = { stripe, prices: PRICES, portalUrl: 'http://localhost:5173' };
});
afterAll(async () => {
  await double?.stop();
});

type Ev = { id: string; type: string; data: { object: { id: string } } };
const eventsSince = (n: number) => state.events.slice(n).map((d) => d.event as unknown as Ev);
const deliver = (e: Ev, opts: { t?: number; secret?: string; body?: string; signature?: string | null } = {}) => {
  const payload = JSON.stringify(e);
  const signature = opts.signature === null ? undefined : (opts.signature ?? state.signature(payload, opts.t, opts.secret));
  return handleStripeWebhook({ body: opts.body ?? payload, isBase64Encoded: false, signature }, deps);
};
const deliverAll = async (events: Ev[]) => {
  for (const e of events) await deliver(e);
};

/** Checkout (subscription) for a new user, paid in the double; returns the events it produced. */
async function subscribe(tier: 'basic' | 'pro', interval: 'month' | 'year' = 'month') {
  const userId = newUserId('wh');
  await getAccount(userId); // free allowance first, as for a real user
  const customer = await stripe.customers.create({ metadata: { userId } });
  const { writeAccountFields, customerIndex } = await import('../../../lib/billing/account.ts');
  await writeAccountFields(userId, { stripeCustomerId: customer.id, ...customerIndex(customer.id) });
  const session = await stripe.checkout.sessions.create({
    mode: 'subscription',
    customer: customer.id,
    client_reference_id: userId,
    line_items: [{ price: PRICES[`${tier}_${interval}`], quantity: 1 }],
    subscription_data: { metadata: { userId } },
    success_url: 'http://localhost/ok',
  });
  const mark = state.events.length;
  const paid = state.pay(session.id);
  return { userId, customerId: customer.id, subscriptionId: String(paid.subscription), events: eventsSince(mark) };
}

describe('Stripe webhook', () => {
  it('subscription checkout → account on the tier, period credits replace the free ones, once', async () => {
    const { userId, events, subscriptionId } = await subscribe('basic');
    expect(events.map((e) => e.type)).toEqual(['customer.subscription.created', 'invoice.paid', 'checkout.session.completed']);
    await deliverAll(events);
    await deliverAll(events); // Stripe redelivers
    const account = await readAccount(userId);
    expect(account).toMatchObject({ subscriptionId, status: 'active', subscriptionTier: 'basic', paidTier: 'basic', cancelAtPeriodEnd: false });
    expect((await getAccount(userId)).tier).toBe('basic');
    expect(await getBalance(userId)).toEqual({ balance: TIER_LIMITS.basic.monthlyCredits, reserved: 0 });
    const b = await expectInvariant(userId);
    expect(b.expired).toBe(TIER_LIMITS.free.monthlyCredits);
  });

  it('the same event 10× in parallel → one grant, one processed', async () => {
    const { userId, events } = await subscribe('pro');
    const invoicePaid = events.find((e) => e.type === 'invoice.paid');
    if (!invoicePaid) throw new Error('no invoice.paid');
    const results = await Promise.all(Array.from({ length: 10 }, () => deliver(invoicePaid)));
    expect(results.filter((r) => r.outcome === 'processed')).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'duplicate')).toHaveLength(9);
    expect((await getBalance(userId)).balance).toBe(TIER_LIMITS.pro.monthlyCredits);
    await expectInvariant(userId);
  });

  it('subscription updated before created → the final state is right (state is re-read from Stripe)', async () => {
    const { userId, events, subscriptionId } = await subscribe('basic');
    const mark = state.events.length;
    await stripe.subscriptions.update(subscriptionId, { cancel_at_period_end: true });
    const updated = eventsSince(mark);
    const created = events.find((e) => e.type === 'customer.subscription.created');
    if (!created) throw new Error('no created event');
    await deliverAll(updated);
    await deliver(created); // arrives last with a stale payload (cancel_at_period_end false)
    const account = await readAccount(userId);
    expect(account).toMatchObject({ status: 'active', subscriptionTier: 'basic', cancelAtPeriodEnd: true });
    expect((await getAccount(userId)).tier).toBe('basic');
    await deliverAll(events.filter((e) => e.type !== 'customer.subscription.created'));
    expect((await readAccount(userId))?.cancelAtPeriodEnd).toBe(true);
  });

  it('invoice.payment_failed → past_due and no credits', async () => {
    const { userId, events, subscriptionId } = await subscribe('basic');
    await deliverAll(events);
    const before = await getBalance(userId);
    const mark = state.events.length;
    state.advance(subscriptionId, { fail: true });
    const failed = eventsSince(mark);
    expect(failed.map((e) => e.type)).toEqual(['invoice.payment_failed', 'customer.subscription.updated']);
    await deliverAll(failed);
    expect((await readAccount(userId))?.status).toBe('past_due');
    expect(await getBalance(userId)).toEqual(before);
    await expectInvariant(userId);
  });

  it('upgrade: prorated invoice now and the credit difference topped up once', async () => {
    const { userId, events } = await subscribe('basic');
    await deliverAll(events);
    const mark = state.events.length;
    expect(await changeSubscription(userId, 'pro', billing)).toEqual({ tier: 'pro', nextTier: null, effective: 'now' });
    const upgradeEvents = eventsSince(mark);
    expect(upgradeEvents.map((e) => e.type)).toEqual(['customer.subscription.updated', 'invoice.paid']);
    const invoice = state.get(upgradeEvents[1]?.data.object.id ?? '', 'invoice');
    expect(invoice.billing_reason).toBe('subscription_update');
    expect(Number(invoice.amount_paid)).toBeGreaterThan(0);
    await deliverAll(upgradeEvents);
    await deliverAll(upgradeEvents);
    expect((await getBalance(userId)).balance).toBe(TIER_LIMITS.pro.monthlyCredits);
    expect((await getAccount(userId)).tier).toBe('pro');
    await expectInvariant(userId);
  });

  it('downgrade: no proration, the paid tier stays until the period ends, then the lower credits replace', async () => {
    const { userId, events, subscriptionId } = await subscribe('pro');
    await deliverAll(events);
    const mark = state.events.length;
    expect(await changeSubscription(userId, 'basic', billing)).toEqual({ tier: 'pro', nextTier: 'basic', effective: 'period_end' });
    const downgrade = eventsSince(mark);
    expect(downgrade.map((e) => e.type)).toEqual(['customer.subscription.updated']);
    await deliverAll(downgrade);
    expect((await getAccount(userId)).tier).toBe('pro');
    expect((await getBalance(userId)).balance).toBe(TIER_LIMITS.pro.monthlyCredits);
    const renewal = state.events.length;
    state.advance(subscriptionId);
    await deliverAll(eventsSince(renewal));
    expect((await readAccount(userId))?.paidTier).toBe('basic');
    expect((await getBalance(userId)).balance).toBe(TIER_LIMITS.basic.monthlyCredits);
    await expectInvariant(userId);
  });

  it('cancel at period end, resume, then the period ends → free', async () => {
    const { userId, events, subscriptionId } = await subscribe('basic');
    await deliverAll(events);
    const c = await setCancelAtPeriodEnd(userId, true, billing);
    expect(c).toMatchObject({ tier: 'basic', cancelAtPeriodEnd: true, nextTier: 'free' });
    expect(await setCancelAtPeriodEnd(userId, false, billing)).toMatchObject({ cancelAtPeriodEnd: false, nextTier: null });
    await setCancelAtPeriodEnd(userId, true, billing);
    const mark = state.events.length;
    state.advance(subscriptionId);
    const ended = eventsSince(mark);
    expect(ended.map((e) => e.type)).toEqual(['customer.subscription.deleted']);
    await deliverAll(ended);
    expect(await getAccount(userId)).toMatchObject({ tier: 'free', status: 'canceled' });
  });

  it('credit pack: paid checkout grants once; a full refund takes the unspent pack credits back', async () => {
    const userId = newUserId('pack');
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      client_reference_id: userId,
      line_items: [{ price: PRICES.pack_small, quantity: 1 }],
      metadata: { userId, pack: 'small' },
      success_url: 'http://localhost/ok',
    });
    const mark = state.events.length;
    const paid = state.pay(session.id);
    const events = eventsSince(mark);
    await Promise.all(events.map((e) => deliver(e)));
    await Promise.all(events.map((e) => deliver(e)));
    expect(await getBalance(userId)).toEqual({ balance: PACK_CREDITS.small, reserved: 0 });
    const refundMark = state.events.length;
    await stripe.refunds.create({ payment_intent: String(paid.payment_intent) });
    const refundEvents = eventsSince(refundMark);
    expect(refundEvents.map((e) => e.type)).toEqual(['charge.refunded']);
    await Promise.all([deliver(refundEvents[0] as Ev), deliver(refundEvents[0] as Ev)]);
    expect(await getBalance(userId)).toEqual({ balance: 0, reserved: 0 });
    const b = await expectInvariant(userId);
    expect(b.packCredits).toBe(0);
  });

  describe('rejected deliveries: 400 and zero writes', () => {
    let ev: Ev;
    let userId: string;
    beforeAll(async () => {
      const s = await subscribe('basic');
      userId = s.userId;
      const found = s.events.find((e) => e.type === 'invoice.paid');
      if (!found) throw new Error('no invoice.paid');
      ev = found;
    });
    const now = () => Math.floor(Date.now() / 1000);
    const cases: [string, () => Promise<unknown>][] = [
      ['tampered body', () => deliver(ev, { body: JSON.stringify({ ...ev, type: 'invoice.paid ' }), signature: state.signature(JSON.stringify(ev)) })],
      ['wrong secret', () => deliver(ev, { secret: 'whsec_wrong' })],
      ['missing header', () => deliver(ev, { signature: null })],
      ['old timestamp', () => deliver(ev, { t: now() - 3600 })],
      ['future timestamp', () => deliver(ev, { t: now() + 3600 })],
    ];
    it.each(cases)('%s', async (_name, call) => {
      const before = await getBalance(userId);
      const err = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(BadRequestError);
      expect((err as BadRequestError).status).toBe(400);
      const { Item } = await StripeEventEntity.build(GetItemCommand).key({ eventId: ev.id }).options({ consistent: true }).send();
      expect(Item).toBeUndefined();
      expect(await getBalance(userId)).toEqual(before);
    });
    it('the handler answers 400 with the error body', async () => {
      const { handler } = await import('../../../functions/webhooks/stripe.ts');
      const res = (await handler(
        { body: JSON.stringify(ev), isBase64Encoded: false, headers: { 'stripe-signature': 't=1,v1=00' }, requestContext: { requestId: 'r' } } as never,
        { awsRequestId: 'r' } as never,
      )) as { statusCode: number; body: string };
      expect(res.statusCode).toBe(400);
      expect(JSON.parse(res.body).error.code).toBe('INVALID_SIGNATURE');
    });
  });

  it('a DynamoDB failure mid-webhook → non-2xx and nothing written; the retry succeeds once', async () => {
    const { userId, events } = await subscribe('pro');
    const invoicePaid = events.find((e) => e.type === 'invoice.paid') as Ev;
    const real = documentClient();
    let failures = 0;
    const failing = {
      send: (command: { constructor: { name: string } }) => {
        if (command.constructor.name === 'TransactWriteCommand' && failures === 0) {
          failures += 1;
          return Promise.reject(Object.assign(new Error('Service unavailable'), { name: 'InternalServerError', $metadata: { httpStatusCode: 500 } }));
        }
        return real.send(command as never);
      },
    } as unknown as DynamoDBDocumentClient;
    const before = await getBalance(userId);
    const route = publicRoute({}, async ({ event, headers }) =>
      json(200, await handleStripeWebhook({ body: event.body, isBase64Encoded: event.isBase64Encoded, signature: headers['stripe-signature'] }, { ...deps, documentClient: failing })),
    );
    const payload = JSON.stringify(invoicePaid);
    const call = () =>
      route(
        { body: Buffer.from(payload).toString('base64'), isBase64Encoded: true, headers: { 'stripe-signature': state.signature(payload) }, requestContext: { requestId: 'r' } } as never,
        { awsRequestId: 'r' } as never,
      ) as Promise<{ statusCode: number }>;
    expect((await call()).statusCode).toBe(500);
    expect(failures).toBe(1);
    const { Item } = await StripeEventEntity.build(GetItemCommand).key({ eventId: invoicePaid.id }).options({ consistent: true }).send();
    expect(Item).toBeUndefined();
    expect(await getBalance(userId)).toEqual(before);
    expect((await call()).statusCode).toBe(200);
    expect((await call()).statusCode).toBe(200);
    expect((await getBalance(userId)).balance).toBe(TIER_LIMITS.pro.monthlyCredits);
    await expectInvariant(userId);
  });
});
