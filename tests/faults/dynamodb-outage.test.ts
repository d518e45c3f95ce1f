import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GetItemCommand } from 'dynamodb-toolbox/entity/actions/get';
import Stripe from 'stripe';
import { getAccount, readAccount } from '../../lib/billing/account.ts';
import { readBalance } from '../../lib/billing/ledger.ts';
import { TIER_LIMITS } from '../../lib/billing/tiers.ts';
import { StripeEventEntity } from '../../lib/db/stripe-event.ts';
import { createTestUser } from '../support/users.ts';
import { expectInvariant, ledgerOf } from '../integration/billing/helpers.ts';
import { api, eventually, startFaultStack, type FaultStack } from './support.ts';

/**
 * Fault: DynamoDB is down while Stripe delivers webhooks. DynamoDB Local runs with its data on
 * disk (persistDynamodb) and is killed (SIGKILL) before a subscription checkout is paid in the
 * Stripe double, which then delivers the checkout's events — each tried 4 times, as Stripe retries
 * — to POST /webhooks/stripe while the table is unreachable: every answer must be non-2xx (a 5xx:
 * "try again", not "bad request"), and nothing may be applied. DynamoDB Local is started again on
 * the same data; Stripe's later retries of the same events (same ids, freshly signed) are applied
 * once: the account is on the plan, the period's credits are granted once, the free credits
 * expire once, and a further retry is a duplicate that changes nothing.
 */
let stack: FaultStack;

beforeAll(async () => {
  stack = await startFaultStack(import.meta.filename, { persistDynamodb: true });
}, 420_000);

afterAll(async () => {
  await stack?.stop();
}, 120_000);

interface DeliveredEvent {
  id: string;
  type: string;
  data: { object: { id: string } };
  _delivery: { attempts: number; status: number | null; error?: string };
}

const stripeBase = () => stack.env.STRIPE_API_BASE!;
async function stripeControl<T>(method: string, path: string): Promise<T> {
  const res = await fetch(stripeBase() + path, { method, signal: AbortSignal.timeout(120_000) });
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}
const deliveries = async () => (await stripeControl<{ data: DeliveredEvent[] }>('GET', '/_double/events')).data;

/** The event as Stripe sends it, signed with the stack's webhook secret; answers status and body. */
async function deliverSigned(event: DeliveredEvent): Promise<{ status: number; body: Record<string, unknown> }> {
  const { _delivery, ...payloadObject } = event;
  void _delivery;
  const payload = JSON.stringify(payloadObject);
  const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: stack.env.STRIPE_WEBHOOK_SECRET! });
  const res = await fetch(`${stack.env.API_URL}/webhooks/stripe`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    body: payload,
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const marker = async (eventId: string) => (await StripeEventEntity.build(GetItemCommand).key({ eventId }).options({ consistent: true }).send()).Item;

describe('DynamoDB Local stops while a Stripe webhook is delivered', () => {
  it('the webhook answers 5xx and writes nothing; after the restart the retried events are applied once', async () => {
    const user = await createTestUser({ prefix: 'outage' });
    await getAccount(user.sub); // the free allowance, as on first sign-in
    const free = TIER_LIMITS.free.monthlyCredits;
    const basic = TIER_LIMITS.basic.monthlyCredits;
    const checkout = await api<{ url: string }>('POST', '/subscription/checkout', user.accessToken, { tier: 'basic', interval: 'month' });
    expect(checkout.status).toBe(200);
    const sessionId = /\/checkout\/(cs_\w+)/.exec(checkout.body.url)?.[1];
    expect(sessionId).toEqual(expect.any(String));
    const customerId = (await readAccount(user.sub))?.stripeCustomerId;
    expect(customerId).toEqual(expect.any(String));
    expect(await readBalance(user.sub)).toMatchObject({ balance: free, granted: free });
    const mark = (await deliveries()).length;

    // DynamoDB goes away, then the customer pays: Stripe delivers (and retries) into the outage.
    await stack.kill('dynamodb', 'SIGKILL');
    expect(stack.pid('dynamodb')).toBeUndefined();
    await stripeControl('POST', `/_double/checkout/${sessionId}/pay`); // returns once every delivery gave up
    const events = (await deliveries()).slice(mark);
    expect(events.map((e) => e.type)).toEqual(['customer.subscription.created', 'invoice.paid', 'checkout.session.completed']);
    for (const e of events) {
      expect(e._delivery.attempts).toBe(4);
      expect(e._delivery.error).toBeUndefined(); // the API answered; it did not hang or drop the connection
      expect(e._delivery.status).toBeGreaterThanOrEqual(500);
      expect(e._delivery.status).toBeLessThan(600);
    }
    // The API itself is up and names the failing dependency: /health is 503 on DynamoDB only.
    const health = await fetch(`${stack.env.API_URL}/health`, { signal: AbortSignal.timeout(30_000) });
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'degraded', checks: { dynamodb: { ok: false }, messaging: { ok: true }, s3: { ok: true }, cognito: { ok: true } } });

    // DynamoDB Local comes back on the same files: what was written before the outage is there.
    await stack.restart('dynamodb');
    expect(stack.pid('dynamodb')).toEqual(expect.any(Number));
    expect((await readAccount(user.sub))?.stripeCustomerId).toBe(customerId);
    // ... and nothing the failed deliveries attempted: no event marker, still free, same balance.
    for (const e of events) expect(await marker(e.id)).toBeUndefined();
    expect((await readAccount(user.sub))?.subscriptionId ?? null).toBeNull();
    expect(await readBalance(user.sub)).toMatchObject({ balance: free, granted: free, expired: 0 });

    // Stripe's next retry of each event (the double re-signs it with a fresh timestamp).
    for (const e of events) {
      const retried = await eventually(`the retry of ${e.type} to be accepted`, async () => {
        const r = await stripeControl<{ status: number }>('POST', `/_double/events/${e.id}/resend`);
        return r.status === 200 ? r : undefined;
      }, 60_000, 1000);
      expect(retried.status).toBe(200);
      expect(await marker(e.id)).toMatchObject({ eventId: e.id, type: e.type });
    }
    const account = await readAccount(user.sub);
    expect(account).toMatchObject({ subscriptionTier: 'basic', paidTier: 'basic', status: 'active', stripeCustomerId: customerId });
    expect(account?.subscriptionId).toMatch(/^sub_/);
    expect((await getAccount(user.sub)).tier).toBe('basic');

    // Yet another retry of every event is a duplicate: 200, nothing changes.
    const settled = await readBalance(user.sub);
    for (const e of events) {
      const again = await deliverSigned(e);
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ received: true, outcome: 'duplicate' });
    }
    expect(await readBalance(user.sub)).toEqual(settled);

    // Credits: the free month expired once, the basic period granted once; the ledger sums up.
    expect(settled).toMatchObject({ balance: basic, reserved: 0, granted: free + basic, expired: free, spent: 0 });
    const b = await expectInvariant(user.sub);
    expect(b.balance).toBe(basic);
    const ledger = await ledgerOf(user.sub);
    const invoiceId = events.find((e) => e.type === 'invoice.paid')!.data.object.id;
    expect(ledger.map((e) => [e.kind, e.amount]).sort()).toEqual([['expire', -free], ['grant', basic], ['grant', free]].sort());
    expect(ledger.filter((e) => e.kind === 'grant' && e.ref.includes(invoiceId))).toHaveLength(1);
  }, 600_000);
});
