import { describe, expect, it } from '@jest/globals';
import { DoubleState, prorate } from '../../../dev/doubles/stripe.ts';
import { summarizePreview } from '../../../lib/billing/subscriptions.ts';
import { stripePreviewInvoice } from '../../../lib/billing/stripe-objects.ts';
import { subscriptionPreviewResponseSchema } from '../../../lib/contracts/billing.ts';

const DAY = 86_400;
const start = Date.UTC(2026, 10, 1) / 1000; // 1 Nov 2026
const end = Date.UTC(2026, 11, 1) / 1000; // 30 days later

/** A double with one active basic-monthly subscription over [start, end), no HTTP server. */
function doubleWithSubscription() {
  const state = new DoubleState({ port: 0, webhookSecret: 'whsec_test' });
  state.deliver = false;
  const basic = state.get('price_local_basic_month', 'price');
  const customer = state.createCustomer({ metadata: { userId: 'u1' } });
  const sub = state.put({
    id: 'sub_test1',
    object: 'subscription',
    customer: customer.id,
    status: 'active',
    cancel_at_period_end: false,
    metadata: { userId: 'u1' },
    items: { object: 'list', data: [{ id: 'si_test1', object: 'subscription_item', price: state.snapshot(basic), quantity: 1, current_period_start: start, current_period_end: end }] },
  });
  return { state, sub, customer };
}

describe('prorate (the Stripe double)', () => {
  it('credits the unused time on the old price and charges the remaining time on the new one', () => {
    // Half the period left: -$6.00 for basic ($12), +$19.50 for pro ($39).
    expect(prorate({ oldAmount: 1200, newAmount: 3900, periodStart: start, periodEnd: end, at: start + 15 * DAY })).toEqual({ fraction: 0.5, credit: -600, charge: 1950 });
    // A third left, rounded to the cent like Stripe.
    expect(prorate({ oldAmount: 1200, newAmount: 3900, periodStart: start, periodEnd: end, at: start + 20 * DAY })).toEqual({ fraction: 1 / 3, credit: -400, charge: 1300 });
  });

  it('is the whole price at the period start and nothing at its end (clamped outside)', () => {
    expect(prorate({ oldAmount: 1200, newAmount: 3900, periodStart: start, periodEnd: end, at: start })).toMatchObject({ credit: -1200, charge: 3900 });
    expect(prorate({ oldAmount: 1200, newAmount: 3900, periodStart: start, periodEnd: end, at: end })).toMatchObject({ credit: 0, charge: 0 });
    expect(prorate({ oldAmount: 1200, newAmount: 3900, periodStart: start, periodEnd: end, at: end + DAY })).toMatchObject({ fraction: 0 });
  });
});

describe('POST /v1/invoices/create_preview (the Stripe double)', () => {
  it('an upgrade with create_prorations: two proration lines plus the next period on the new price', () => {
    const { state, sub, customer } = doubleWithSubscription();
    const at = start + 15 * DAY;
    const invoice = state.previewInvoice({
      customer: customer.id,
      subscription: sub.id,
      subscription_details: { items: [{ id: 'si_test1', price: 'price_local_pro_month' }], proration_behavior: 'create_prorations', proration_date: String(at) },
    });
    const parsed = stripePreviewInvoice.parse(invoice);
    expect(parsed.lines.data.map((l) => [l.amount, l.parent?.subscription_item_details?.proration])).toEqual([
      [-600, true],
      [1950, true],
      [3900, false],
    ]);
    expect(parsed.lines.data[0]?.description).toMatch(/^Unused time on Basic monthly after/);
    expect(parsed.lines.data[1]?.description).toMatch(/^Remaining time on Pro monthly after/);
    expect(parsed.lines.data[1]?.period).toEqual({ start: at, end });
    expect(parsed.lines.data[2]?.period?.start).toBe(end);
    expect(parsed).toMatchObject({ amount_due: 5250, total: 5250, currency: 'usd', next_payment_attempt: end, subscription_proration_date: at });
    // A preview changes nothing.
    expect((state.get(sub.id, 'subscription').items as { data: { price: { id: string } }[] }).data[0]?.price.id).toBe('price_local_basic_month');
  });

  it('a downgrade without proration is just the next invoice on the lower price', () => {
    const { state, sub } = doubleWithSubscription();
    state.subItem(sub).price = state.snapshot(state.get('price_local_pro_month', 'price'));
    const invoice = stripePreviewInvoice.parse(
      state.previewInvoice({ subscription: sub.id, subscription_details: { items: [{ id: 'si_test1', price: 'price_local_basic_month' }], proration_behavior: 'none' } }),
    );
    expect(invoice.lines.data.map((l) => l.amount)).toEqual([1200]);
    expect(invoice.amount_due).toBe(1200);
  });

  it('refuses what Stripe refuses: a proration date outside the period, or with proration_behavior none', () => {
    const { state, sub } = doubleWithSubscription();
    const items = [{ id: 'si_test1', price: 'price_local_pro_month' }];
    expect(() => state.previewInvoice({ subscription: sub.id, subscription_details: { items, proration_date: String(end + DAY) } })).toThrow(/within the current period/);
    expect(() => state.previewInvoice({ subscription: sub.id, subscription_details: { items, proration_behavior: 'none', proration_date: String(start + DAY) } })).toThrow(/cannot be used/);
    expect(() => state.previewInvoice({ subscription: sub.id, subscription_details: { items: [{ id: 'si_other', price: 'price_local_pro_month' }] } })).toThrow(/No such subscription item/);
  });

  it('the upgrade itself (always_invoice) invoices exactly the previewed prorations', () => {
    const { state, sub, customer } = doubleWithSubscription();
    const at = start + 10 * DAY;
    const preview = summarizePreview(
      stripePreviewInvoice.parse(
        state.previewInvoice({ customer: customer.id, subscription: sub.id, subscription_details: { items: [{ id: 'si_test1', price: 'price_local_pro_month' }], proration_behavior: 'create_prorations', proration_date: String(at) } }),
      ),
      { currentTier: 'basic', tier: 'pro', interval: 'month', upgrade: true, prorationDate: at, periodEnd: end },
    );
    state.updateSubscription(sub.id, { items: [{ id: 'si_test1', price: 'price_local_pro_month' }], proration_behavior: 'always_invoice', proration_date: String(at) });
    const invoice = state.get(String(state.get(sub.id, 'subscription').latest_invoice), 'invoice');
    expect(invoice).toMatchObject({ billing_reason: 'subscription_update', amount_paid: preview.amountDue });
  });
});

describe('summarizePreview (lib/billing)', () => {
  const line = (amount: number, proration: boolean, description: string) => ({
    amount,
    description,
    period: { start: start + 15 * DAY, end },
    parent: { type: 'subscription_item_details', subscription_item_details: { proration } },
  });

  it('an upgrade: the prorations are due now, the next invoice is the new price alone', () => {
    const invoice = stripePreviewInvoice.parse({
      object: 'invoice',
      currency: 'usd',
      amount_due: 5250,
      next_payment_attempt: end,
      subscription_proration_date: start + 15 * DAY,
      lines: { data: [line(-600, true, 'Unused time on Basic'), line(1950, true, 'Remaining time on Pro'), line(3900, false, '1 × Pro')] },
    });
    const out = summarizePreview(invoice, { currentTier: 'basic', tier: 'pro', interval: 'month', upgrade: true, prorationDate: start + 15 * DAY, periodEnd: end });
    expect(subscriptionPreviewResponseSchema.parse(out)).toEqual(out);
    expect(out).toMatchObject({
      effective: 'now',
      currency: 'usd',
      amountDue: 1350,
      prorationAmount: 1350,
      prorationDate: start + 15 * DAY,
      nextPaymentAt: '2026-12-01T00:00:00.000Z',
      nextPaymentAmount: 3900,
    });
    expect(out.lines.map((l) => [l.description, l.amount, l.proration])).toEqual([
      ['Unused time on Basic', -600, true],
      ['Remaining time on Pro', 1950, true],
      ['1 × Pro', 3900, false],
    ]);
  });

  it('a downgrade: nothing now, the next invoice is the preview', () => {
    const invoice = stripePreviewInvoice.parse({ object: 'invoice', currency: 'usd', amount_due: 1200, next_payment_attempt: end, lines: { data: [line(1200, false, '1 × Basic')] } });
    expect(summarizePreview(invoice, { currentTier: 'pro', tier: 'basic', interval: 'month', upgrade: false, prorationDate: null, periodEnd: end })).toMatchObject({
      effective: 'period_end',
      amountDue: 0,
      prorationAmount: 0,
      prorationDate: null,
      nextPaymentAmount: 1200,
    });
  });

  it('a net credit is never "due": Stripe keeps it as customer balance', () => {
    const invoice = stripePreviewInvoice.parse({ object: 'invoice', currency: 'usd', amount_due: 0, period_end: end, lines: { data: [line(-900, true, 'Unused'), line(300, true, 'Remaining')] } });
    expect(summarizePreview(invoice, { currentTier: 'basic', tier: 'pro', interval: 'year', upgrade: true, prorationDate: start, periodEnd: end })).toMatchObject({ amountDue: 0, prorationAmount: -600, nextPaymentAmount: 0 });
  });
});
