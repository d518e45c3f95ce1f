/**
 * A local Stripe test double: speaks Stripe's wire protocol (form-encoded bracketed bodies,
 * Bearer sk_ keys, Idempotency-Key replay, Stripe error bodies) for the calls Clipforge makes —
 * customers, prices, checkout sessions (subscription + payment), subscriptions (retrieve, update
 * with proration, cancel_at_period_end, cancel), invoices (incl. create_preview of a subscription
 * change, prorated like Stripe: see `prorate`), charges, refunds, billing portal
 * sessions — keeps state in memory, serves a minimal checkout page whose "Pay" button completes the
 * session, and sends signed webhook events (Stripe-Signature: t=…,v1=HMAC-SHA256) to webhookUrl.
 *
 * Test controls (not Stripe API) live under /_double/: pay a session, advance a subscription to its
 * next period, fail a renewal payment, list/resend events, pause delivery.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StripeDoubleOptions {
  port: number;
  webhookUrl?: string;
  webhookSecret: string;
  /** Base URL browsers use to reach the double (checkout and portal pages). */
  publicUrl?: string;
  host?: string;
}
export interface StripeDouble {
  url: string;
  stop(): Promise<void>;
}

type Obj = Record<string, unknown> & { id: string };

/** Prices of the local stage (serverless.yml params.local.stripePrices uses the same ids). */
export const LOCAL_PRICES: { id: string; unit_amount: number; interval: 'month' | 'year' | null; nickname: string }[] = [
  { id: 'price_local_basic_month', unit_amount: 1200, interval: 'month', nickname: 'Basic monthly' },
  { id: 'price_local_basic_year', unit_amount: 12000, interval: 'year', nickname: 'Basic yearly' },
  { id: 'price_local_pro_month', unit_amount: 3900, interval: 'month', nickname: 'Pro monthly' },
  { id: 'price_local_pro_year', unit_amount: 39000, interval: 'year', nickname: 'Pro yearly' },
  { id: 'price_local_pack_small', unit_amount: 900, interval: null, nickname: '100 credits' },
  { id: 'price_local_pack_medium', unit_amount: 3900, interval: null, nickname: '500 credits' },
  { id: 'price_local_pack_large', unit_amount: 12900, interval: null, nickname: '2000 credits' },
];

const API_VERSION = '2026-10-28.endive';

class StripeApiError extends Error {
  status: number;
  type: string;
  code?: string;
  param?: string;
  constructor(status: number, message: string, opts: { type?: string; code?: string; param?: string } = {}) {
    super(message);
    this.status = status;
    this.type = opts.type ?? 'invalid_request_error';
    this.code = opts.code;
    this.param = opts.param;
  }
}

/** Parses Stripe's form encoding: a[b][0][c]=v → { a: { b: [ { c: 'v' } ] } }. */
export function parseStripeForm(body: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [rawKey, value] of new URLSearchParams(body)) {
    const parts = rawKey.replace(/\]/g, '').split('[');
    let node: Record<string, unknown> | unknown[] = root;
    parts.forEach((part, i) => {
      const last = i === parts.length - 1;
      const nextIsIndex = !last && /^\d+$/.test(parts[i + 1] ?? '');
      const key: string | number = Array.isArray(node) ? (part === '' ? node.length : Number(part)) : part;
      const container = node as Record<string | number, unknown>;
      if (last) container[key] = value;
      else {
        container[key] ??= nextIsIndex || parts[i + 1] === '' ? [] : {};
        node = container[key] as Record<string, unknown> | unknown[];
      }
    });
  }
  return root;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const bool = (v: unknown): boolean | undefined => (v === 'true' ? true : v === 'false' ? false : undefined);
const rec = (v: unknown): Record<string, string> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, string>) : {});
const list = (v: unknown): Record<string, unknown>[] =>
  Array.isArray(v) ? (v as Record<string, unknown>[]) : v && typeof v === 'object' ? (Object.values(v) as Record<string, unknown>[]) : [];

/**
 * Stripe's proration of a price change at `at` (unix seconds) inside the period [start, end):
 * a credit for the unused time on the old price and a charge for the remaining time on the new
 * one, each the unit amount times the share of the period left, rounded to the minor unit.
 */
export function prorate(p: { oldAmount: number; newAmount: number; periodStart: number; periodEnd: number; at: number }): { fraction: number; credit: number; charge: number } {
  const length = Math.max(1, p.periodEnd - p.periodStart);
  const fraction = Math.min(1, Math.max(0, (p.periodEnd - p.at) / length));
  // `|| 0` keeps -0 out of the JSON.
  return { fraction, credit: -Math.round(p.oldAmount * fraction) || 0, charge: Math.round(p.newAmount * fraction) };
}

const money = (amount: number, currency: string) => `${currency === 'usd' ? '$' : currency.toUpperCase() + ' '}${(amount / 100).toFixed(2)}`;
const day = (sec: number) => new Date(sec * 1000).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
const priceName = (price: Obj) => String(price.nickname ?? price.id);

export async function startStripeDouble(opts: StripeDoubleOptions): Promise<StripeDouble & { state: DoubleState }> {
  const state = new DoubleState(opts);
  const server = createServer((req, res) => {
    state.handle(req, res).catch((err: unknown) => {
      const e = err instanceof StripeApiError ? err : new StripeApiError(500, (err as Error).message, { type: 'api_error' });
      send(res, e.status, { error: { type: e.type, message: e.message, ...(e.code ? { code: e.code } : {}), ...(e.param ? { param: e.param } : {}) } });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  state.publicUrl = opts.publicUrl ?? url;
  return {
    url,
    state,
    stop: async () => {
      await state.idle();
      server.closeAllConnections?.();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  if (res.headersSent) return;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/html; charset=utf-8' : 'application/json', 'request-id': 'req_' + rid(), ...headers });
  res.end(text);
}

const rid = (n = 14) => randomBytes(n).toString('base64url').replace(/[-_]/g, 'x').slice(0, n);
const nowSec = () => Math.floor(Date.now() / 1000);
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

interface Delivery {
  event: Obj;
  attempts: number;
  status: number | null;
  error?: string;
}

export class DoubleState {
  opts: StripeDoubleOptions;
  publicUrl = '';
  webhookUrl: string | undefined;
  /** When false, events are recorded but not delivered (tests deliver them with /_double/events/:id/resend). */
  deliver = true;
  objects = new Map<string, Obj>();
  idempotency = new Map<string, { status: number; body: unknown; fingerprint: string }>();
  events: Delivery[] = [];
  private chain: Promise<void> = Promise.resolve();

  constructor(opts: StripeDoubleOptions) {
    this.opts = opts;
    this.webhookUrl = opts.webhookUrl;
    for (const p of LOCAL_PRICES) this.createPrice({ id: p.id, unit_amount: p.unit_amount, interval: p.interval, nickname: p.nickname });
  }

  idle(): Promise<void> {
    return this.chain;
  }

  // ---------------------------------------------------------------- objects
  put<T extends Obj>(o: T): T {
    this.objects.set(o.id, o);
    return o;
  }
  get(id: string, object: string): Obj {
    const o = this.objects.get(id);
    if (!o || o.object !== object) throw new StripeApiError(404, `No such ${object}: '${id}'`, { code: 'resource_missing', param: 'id' });
    return o;
  }
  snapshot(o: Obj): Obj {
    return JSON.parse(JSON.stringify(o)) as Obj;
  }

  createPrice(p: { id?: string; unit_amount: number; interval: string | null; nickname?: string; currency?: string; product?: string }): Obj {
    return this.put({
      id: p.id ?? 'price_' + rid(),
      object: 'price',
      active: true,
      currency: p.currency ?? 'usd',
      unit_amount: p.unit_amount,
      nickname: p.nickname ?? null,
      product: p.product ?? 'prod_' + rid(),
      type: p.interval ? 'recurring' : 'one_time',
      recurring: p.interval ? { interval: p.interval, interval_count: 1, usage_type: 'licensed' } : null,
      livemode: false,
      created: nowSec(),
    });
  }

  createCustomer(params: Record<string, unknown>): Obj {
    return this.put({
      id: 'cus_' + rid(),
      object: 'customer',
      email: str(params.email) ?? null,
      name: str(params.name) ?? null,
      metadata: rec(params.metadata),
      created: nowSec(),
      livemode: false,
    });
  }

  periodEnd(start: number, interval: string): number {
    const d = new Date(start * 1000);
    if (interval === 'year') d.setUTCFullYear(d.getUTCFullYear() + 1);
    else d.setUTCMonth(d.getUTCMonth() + 1);
    return Math.floor(d.getTime() / 1000);
  }

  subItem(sub: Obj): Record<string, unknown> & { price: Obj; current_period_start: number; current_period_end: number; id: string } {
    return ((sub.items as { data: unknown[] }).data[0]) as never;
  }

  createInvoice(sub: Obj, reason: string, amount: number, paid: boolean, lines?: Record<string, unknown>[]): Obj {
    const item = this.subItem(sub);
    return this.put({
      id: 'in_' + rid(),
      object: 'invoice',
      customer: sub.customer,
      status: paid ? 'paid' : 'open',
      billing_reason: reason,
      amount_due: amount,
      amount_paid: paid ? amount : 0,
      currency: 'usd',
      period_start: item.current_period_start,
      period_end: item.current_period_end,
      parent: { type: 'subscription_details', subscription_details: { subscription: sub.id, metadata: sub.metadata } },
      lines: { object: 'list', data: lines ?? [{ id: 'il_' + rid(), pricing: { price_details: { price: item.price.id } }, amount }] },
      created: nowSec(),
      livemode: false,
    });
  }

  // ---------------------------------------------------------------- events
  emit(type: string, object: Obj): Obj {
    const event: Obj = {
      id: 'evt_' + rid(24),
      object: 'event',
      api_version: API_VERSION,
      created: nowSec(),
      type,
      data: { object: this.snapshot(object) },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
    };
    const delivery: Delivery = { event, attempts: 0, status: null };
    this.events.push(delivery);
    if (this.deliver) this.chain = this.chain.then(() => this.sendEvent(delivery));
    return event;
  }

  signature(payload: string, timestamp = nowSec(), secret = this.opts.webhookSecret): string {
    const v1 = createHmac('sha256', secret).update(`${timestamp}.${payload}`, 'utf8').digest('hex');
    return `t=${timestamp},v1=${v1}`;
  }

  async sendEvent(d: Delivery, maxAttempts = 4): Promise<void> {
    if (!this.webhookUrl) return;
    const payload = JSON.stringify(d.event, null, 2);
    for (let i = 0; i < maxAttempts; i++) {
      d.attempts += 1;
      try {
        const res = await fetch(this.webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': this.signature(payload), 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' },
          body: payload,
          signal: AbortSignal.timeout(30_000),
        });
        d.status = res.status;
        await res.arrayBuffer();
        if (res.ok) return;
      } catch (err) {
        d.error = (err as Error).message;
      }
      await new Promise((r) => setTimeout(r, 100 * 2 ** i));
    }
  }

  // ---------------------------------------------------------------- flows
  pay(sessionId: string): Obj {
    const session = this.get(sessionId, 'checkout.session');
    if (session.status !== 'open') throw new StripeApiError(400, `Checkout session ${sessionId} is ${String(session.status)}`);
    const priceId = session._price as string;
    const price = this.get(priceId, 'price');
    let customerId = str(session.customer);
    if (!customerId) {
      customerId = this.createCustomer({ email: session.customer_email, metadata: {} }).id;
      session.customer = customerId;
    }
    session.status = 'complete';
    session.payment_status = 'paid';
    if (session.mode === 'subscription') {
      const start = nowSec();
      const interval = (price.recurring as { interval: string }).interval;
      const sub: Obj = this.put({
        id: 'sub_' + rid(),
        object: 'subscription',
        customer: customerId,
        status: 'active',
        cancel_at_period_end: false,
        canceled_at: null,
        ended_at: null,
        metadata: rec((session._subscription_data as Record<string, unknown> | undefined)?.metadata),
        items: {
          object: 'list',
          data: [{ id: 'si_' + rid(), object: 'subscription_item', price: this.snapshot(price), quantity: 1, current_period_start: start, current_period_end: this.periodEnd(start, interval) }],
        },
        latest_invoice: null,
        created: start,
        livemode: false,
      });
      const invoice = this.createInvoice(sub, 'subscription_create', price.unit_amount as number, true);
      sub.latest_invoice = invoice.id;
      session.subscription = sub.id;
      session.invoice = invoice.id;
      this.emit('customer.subscription.created', sub);
      this.emit('invoice.paid', invoice);
      this.emit('checkout.session.completed', session);
    } else {
      const pi: Obj = this.put({ id: 'pi_' + rid(), object: 'payment_intent', amount: price.unit_amount, currency: 'usd', status: 'succeeded', customer: customerId, metadata: rec(session._payment_intent_metadata) });
      const charge = this.put({ id: 'ch_' + rid(), object: 'charge', amount: price.unit_amount, amount_refunded: 0, refunded: false, paid: true, status: 'succeeded', payment_intent: pi.id, customer: customerId, currency: 'usd', created: nowSec() });
      pi.latest_charge = charge.id;
      session.payment_intent = pi.id;
      this.emit('charge.succeeded', charge);
      this.emit('checkout.session.completed', session);
    }
    return session;
  }

  /** The subscription's next period: renews (invoice.paid) or ends if cancel_at_period_end. */
  advance(subId: string, opts: { fail?: boolean } = {}): Obj {
    const sub = this.get(subId, 'subscription');
    if (sub.status === 'canceled') throw new StripeApiError(400, 'Subscription is canceled');
    const item = this.subItem(sub);
    if (sub.cancel_at_period_end && !opts.fail) {
      sub.status = 'canceled';
      sub.canceled_at = nowSec();
      sub.ended_at = item.current_period_end;
      this.emit('customer.subscription.deleted', sub);
      return sub;
    }
    const start = item.current_period_end;
    item.current_period_start = start;
    item.current_period_end = this.periodEnd(start, (item.price.recurring as { interval: string }).interval);
    const invoice = this.createInvoice(sub, 'subscription_cycle', item.price.unit_amount as number, !opts.fail);
    sub.latest_invoice = invoice.id;
    if (opts.fail) {
      sub.status = 'past_due';
      this.emit('invoice.payment_failed', invoice);
    } else {
      sub.status = 'active';
      this.emit('invoice.paid', invoice);
    }
    this.emit('customer.subscription.updated', sub);
    return sub;
  }

  updateSubscription(subId: string, p: Record<string, unknown>): Obj {
    const sub = this.get(subId, 'subscription');
    if (sub.status === 'canceled') throw new StripeApiError(400, 'A canceled subscription can only update its cancellation_details and metadata.');
    const items = list(p.items);
    let invoice: Obj | undefined;
    if (items.length) {
      const change = items[0] ?? {};
      const item = this.subItem(sub);
      if (str(change.id) && change.id !== item.id) throw new StripeApiError(400, `No such subscription item: '${String(change.id)}'`, { param: 'items[0][id]' });
      const newPrice = this.get(str(change.price) ?? '', 'price');
      const oldPrice = item.price as Obj;
      const behavior = str(p.proration_behavior) ?? 'create_prorations';
      const at = behavior === 'none' ? nowSec() : this.prorationDate(sub, p.proration_date, 'proration_date');
      if (behavior === 'always_invoice' && newPrice.id !== oldPrice.id) {
        const lines = this.prorationLines(sub, oldPrice, newPrice, at);
        const amount = Math.max(0, lines.reduce((sum, l) => sum + (l.amount as number), 0));
        item.price = this.snapshot(newPrice); // the invoice's period and price are the new ones
        invoice = this.createInvoice(sub, 'subscription_update', amount, true, lines);
        sub.latest_invoice = invoice.id;
      }
      item.price = this.snapshot(newPrice);
    }
    const cancel = bool(p.cancel_at_period_end);
    if (cancel !== undefined) sub.cancel_at_period_end = cancel;
    if (p.metadata) sub.metadata = { ...rec(sub.metadata), ...rec(p.metadata) };
    this.emit('customer.subscription.updated', sub);
    if (invoice) this.emit('invoice.paid', invoice);
    return sub;
  }

  /** An invoice line of a subscription item, in Stripe's 2025+ shape (parent.subscription_item_details). */
  line(sub: Obj, price: Obj, amount: number, period: { start: number; end: number }, proration: boolean, description: string): Record<string, unknown> {
    const item = this.subItem(sub);
    return {
      id: 'il_' + rid(),
      object: 'line_item',
      amount,
      subtotal: amount,
      currency: String(price.currency ?? 'usd'),
      description,
      discount_amounts: [],
      discountable: true,
      discounts: [],
      invoice: null,
      livemode: false,
      metadata: {},
      parent: {
        type: 'subscription_item_details',
        invoice_item_details: null,
        subscription_item_details: { invoice_item: proration ? 'ii_' + rid() : null, proration, proration_details: { credited_items: null }, subscription: sub.id, subscription_item: item.id },
      },
      period,
      pretax_credit_amounts: [],
      pricing: { type: 'price_details', price_details: { price: price.id, product: price.product }, unit_amount_decimal: String(price.unit_amount) },
      quantity: 1,
      taxes: [],
    };
  }

  /** The two proration lines of moving `sub`'s item from `oldPrice` to `newPrice` at `at`. */
  prorationLines(sub: Obj, oldPrice: Obj, newPrice: Obj, at: number): Record<string, unknown>[] {
    const item = this.subItem(sub);
    const { credit, charge } = prorate({ oldAmount: oldPrice.unit_amount as number, newAmount: newPrice.unit_amount as number, periodStart: item.current_period_start, periodEnd: item.current_period_end, at });
    const period = { start: at, end: item.current_period_end };
    return [
      this.line(sub, oldPrice, credit, period, true, `Unused time on ${priceName(oldPrice)} after ${day(at)}`),
      this.line(sub, newPrice, charge, period, true, `Remaining time on ${priceName(newPrice)} after ${day(at)}`),
    ];
  }

  /** subscription_details.proration_date: inside the current period, as Stripe requires. */
  prorationDate(sub: Obj, raw: unknown, param: string): number {
    const item = this.subItem(sub);
    if (raw === undefined) return nowSec();
    const at = Number(raw);
    if (!Number.isInteger(at)) throw new StripeApiError(400, `Invalid integer: ${String(raw)}`, { param });
    if (at < item.current_period_start || at >= item.current_period_end) {
      throw new StripeApiError(400, 'The proration date must be within the current period of the subscription.', { param });
    }
    return at;
  }

  /**
   * POST /v1/invoices/create_preview for an existing subscription with one changed item: the
   * invoice Stripe would create — with `always_invoice`, the proration lines alone (invoiced at
   * once); otherwise the next period's invoice (on the new price) plus the prorations of
   * `create_prorations`. Nothing is stored.
   */
  previewInvoice(p: Record<string, unknown>): Obj {
    const subId = str(p.subscription);
    if (!subId) throw new StripeApiError(400, 'This double previews subscription updates only: pass `subscription`.', { param: 'subscription' });
    const sub = this.get(subId, 'subscription');
    if (sub.status === 'canceled') throw new StripeApiError(400, 'Cannot preview the upcoming invoice for a canceled subscription.', { param: 'subscription' });
    const customer = str(p.customer);
    if (customer && customer !== sub.customer) throw new StripeApiError(400, `The subscription ${sub.id} does not belong to the customer ${customer}.`, { param: 'customer' });
    const details = rec(p.subscription_details) as Record<string, unknown>;
    const item = this.subItem(sub);
    const change = list(details.items)[0];
    if (change && str(change.id) && change.id !== item.id) throw new StripeApiError(400, `No such subscription item: '${String(change.id)}'`, { param: 'subscription_details[items][0][id]' });
    const oldPrice = item.price as Obj;
    const newPrice = change && str(change.price) ? this.get(str(change.price) ?? '', 'price') : oldPrice;
    const behavior = str(details.proration_behavior) ?? 'create_prorations';
    if (!['create_prorations', 'always_invoice', 'none'].includes(behavior)) throw new StripeApiError(400, `Invalid proration_behavior: ${behavior}`, { param: 'subscription_details[proration_behavior]' });
    if (behavior === 'none' && details.proration_date !== undefined) {
      throw new StripeApiError(400, "subscription_details[proration_date] cannot be used with proration_behavior 'none'.", { param: 'subscription_details[proration_date]' });
    }
    const at = this.prorationDate(sub, details.proration_date, 'subscription_details[proration_date]');
    const prorations = behavior !== 'none' && newPrice.id !== oldPrice.id ? this.prorationLines(sub, oldPrice, newPrice, at) : [];
    const interval = (newPrice.recurring as { interval: string }).interval;
    const nextStart = item.current_period_end;
    const nextEnd = this.periodEnd(nextStart, interval);
    const cancels = bool(details.cancel_at_period_end) ?? (sub.cancel_at_period_end as boolean);
    const regular =
      behavior === 'always_invoice' || cancels
        ? []
        : [this.line(sub, newPrice, newPrice.unit_amount as number, { start: nextStart, end: nextEnd }, false, `1 × ${priceName(newPrice)} (at ${money(newPrice.unit_amount as number, String(newPrice.currency))} / ${interval})`)];
    const lines = [...prorations, ...regular];
    const total = lines.reduce((sum, l) => sum + (l.amount as number), 0);
    const immediate = behavior === 'always_invoice';
    return {
      id: 'upcoming_in_' + rid(),
      object: 'invoice',
      customer: sub.customer,
      status: 'draft',
      billing_reason: immediate ? 'subscription_update' : 'upcoming',
      currency: String(newPrice.currency ?? 'usd'),
      subtotal: total,
      total,
      amount_due: Math.max(0, total),
      amount_paid: 0,
      amount_remaining: Math.max(0, total),
      starting_balance: 0,
      ending_balance: total < 0 ? total : 0,
      period_start: immediate ? at : item.current_period_start,
      period_end: immediate ? at : item.current_period_end,
      next_payment_attempt: immediate ? at : nextStart,
      subscription_proration_date: prorations.length ? at : null,
      parent: { type: 'subscription_details', quote_details: null, subscription_details: { subscription: sub.id, metadata: sub.metadata, subscription_proration_date: prorations.length ? at : null } },
      lines: { object: 'list', data: lines, has_more: false, total_count: lines.length, url: '/v1/invoices/upcoming/lines' },
      created: nowSec(),
      livemode: false,
    };
  }

  refund(p: Record<string, unknown>): Obj {
    let chargeId = str(p.charge);
    if (!chargeId && str(p.payment_intent)) chargeId = str(this.get(str(p.payment_intent) ?? '', 'payment_intent').latest_charge);
    const charge = this.get(chargeId ?? '', 'charge');
    const amount = Number(str(p.amount) ?? (charge.amount as number) - (charge.amount_refunded as number));
    if (!(amount > 0) || amount > (charge.amount as number) - (charge.amount_refunded as number)) throw new StripeApiError(400, 'Refund amount is invalid', { param: 'amount' });
    charge.amount_refunded = (charge.amount_refunded as number) + amount;
    charge.refunded = charge.amount_refunded === charge.amount;
    const refund = this.put({ id: 're_' + rid(), object: 'refund', amount, charge: charge.id, payment_intent: charge.payment_intent, status: 'succeeded', created: nowSec() });
    this.emit('charge.refunded', charge);
    return refund;
  }

  // ---------------------------------------------------------------- HTTP
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://double');
    const method = req.method ?? 'GET';
    const body = await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (path.startsWith('/v1/')) return this.api(method, path, body, req, res);
    if (path.startsWith('/_double/')) return send(res, 200, await this.control(method, path, body));
    let m = /^\/checkout\/(cs_\w+)$/.exec(path);
    if (m && method === 'GET') return send(res, 200, this.checkoutPage(this.get(m[1] ?? '', 'checkout.session')));
    m = /^\/checkout\/(cs_\w+)\/pay$/.exec(path);
    if (m && method === 'POST') {
      const session = this.pay(m[1] ?? '');
      await this.idle();
      const target = String(session.success_url).replace('{CHECKOUT_SESSION_ID}', session.id);
      return send(res, 303, `<a href="${esc(target)}">Continue</a>`, { location: target });
    }
    m = /^\/portal\/(bps_\w+)$/.exec(path);
    if (m && method === 'GET') return send(res, 200, this.portalPage(this.get(m[1] ?? '', 'billing_portal.session')));
    m = /^\/portal\/(bps_\w+)\/cancel$/.exec(path);
    if (m && method === 'POST') {
      const ps = this.get(m[1] ?? '', 'billing_portal.session');
      const sub = [...this.objects.values()].find((o) => o.object === 'subscription' && o.customer === ps.customer && o.status !== 'canceled');
      if (sub) this.updateSubscription(sub.id, { cancel_at_period_end: 'true' });
      await this.idle();
      return send(res, 303, 'ok', { location: String(ps.return_url) });
    }
    throw new StripeApiError(404, `Unrecognized request URL (${method}: ${path}).`);
  }

  private async api(method: string, path: string, body: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const auth = req.headers.authorization ?? '';
    if (!/^Bearer sk_(test|live)_\w+/.test(auth)) {
      throw new StripeApiError(401, 'Invalid API Key provided', { type: 'invalid_request_error', code: 'api_key_invalid' });
    }
    const params = method === 'GET' ? Object.fromEntries(new URL(req.url ?? '/', 'http://d').searchParams) : parseStripeForm(body);
    const key = req.headers['idempotency-key'];
    if (method === 'POST' && typeof key === 'string') {
      const fingerprint = `${path}|${body}`;
      const seen = this.idempotency.get(key);
      if (seen) {
        if (seen.fingerprint !== fingerprint) {
          throw new StripeApiError(400, 'Keys for idempotent requests can only be used with the same parameters they were first used with.', { type: 'idempotency_error' });
        }
        return send(res, seen.status, seen.body, { 'idempotent-replayed': 'true' });
      }
      const result = this.route(method, path, params);
      this.idempotency.set(key, { status: 200, body: result, fingerprint });
      return send(res, 200, result, { 'idempotency-key': key });
    }
    send(res, 200, this.route(method, path, params));
  }

  private route(method: string, path: string, p: Record<string, unknown>): unknown {
    const seg = path.split('/').slice(2); // after /v1
    const [a, b, c] = seg;
    const R = (x: Obj) => this.snapshot(x);
    if (a === 'customers' && !b && method === 'POST') return R(this.createCustomer(p));
    if (a === 'customers' && b && method === 'GET') return R(this.get(b, 'customer'));
    if (a === 'customers' && b && method === 'POST') {
      const cus = this.get(b, 'customer');
      if (p.email) cus.email = p.email;
      if (p.metadata) cus.metadata = { ...rec(cus.metadata), ...rec(p.metadata) };
      return R(cus);
    }
    if (a === 'prices' && !b && method === 'GET') return this.list('price', () => true);
    if (a === 'prices' && b && method === 'GET') return R(this.get(b, 'price'));
    if (a === 'prices' && !b && method === 'POST') {
      const amount = Number(p.unit_amount);
      if (!Number.isInteger(amount) || amount < 0) throw new StripeApiError(400, 'Missing required param: unit_amount.', { param: 'unit_amount' });
      return R(this.createPrice({ unit_amount: amount, interval: str(rec(p.recurring).interval) ?? null, currency: str(p.currency), product: str(p.product) }));
    }
    if (a === 'checkout' && b === 'sessions' && !c && method === 'POST') return R(this.createSession(p));
    if (a === 'checkout' && b === 'sessions' && c && method === 'GET') return R(this.get(c, 'checkout.session'));
    if (a === 'subscriptions' && b && method === 'GET') return R(this.get(b, 'subscription'));
    if (a === 'subscriptions' && !b && method === 'GET') return this.list('subscription', (o) => !p.customer || o.customer === p.customer);
    if (a === 'subscriptions' && b && method === 'POST') return R(this.updateSubscription(b, p));
    if (a === 'subscriptions' && b && method === 'DELETE') {
      const sub = this.get(b, 'subscription');
      if (sub.status === 'canceled') throw new StripeApiError(400, 'This subscription is already canceled.');
      sub.status = 'canceled';
      sub.canceled_at = nowSec();
      sub.ended_at = nowSec();
      this.emit('customer.subscription.deleted', sub);
      return R(sub);
    }
    if (a === 'invoices' && b === 'create_preview' && !c && method === 'POST') return this.previewInvoice(p);
    if (a === 'invoices' && b && method === 'GET') return R(this.get(b, 'invoice'));
    if (a === 'invoices' && !b && method === 'GET') return this.list('invoice', (o) => !p.customer || o.customer === p.customer);
    if (a === 'charges' && b && method === 'GET') return R(this.get(b, 'charge'));
    if (a === 'payment_intents' && b && method === 'GET') return R(this.get(b, 'payment_intent'));
    if (a === 'refunds' && !b && method === 'POST') return R(this.refund(p));
    if (a === 'billing_portal' && b === 'sessions' && !c && method === 'POST') {
      const customer = this.get(str(p.customer) ?? '', 'customer');
      const id = 'bps_' + rid();
      return R(this.put({ id, object: 'billing_portal.session', customer: customer.id, return_url: str(p.return_url) ?? null, url: `${this.publicUrl}/portal/${id}`, created: nowSec(), livemode: false }));
    }
    throw new StripeApiError(404, `Unrecognized request URL (${method}: ${path}).`);
  }

  private list(object: string, keep: (o: Obj) => boolean) {
    const data = [...this.objects.values()].filter((o) => o.object === object && keep(o)).map((o) => this.snapshot(o));
    return { object: 'list', data, has_more: false, url: `/v1/${object}s` };
  }

  private createSession(p: Record<string, unknown>): Obj {
    const mode = str(p.mode);
    if (mode !== 'subscription' && mode !== 'payment') throw new StripeApiError(400, 'Invalid mode: must be one of payment, setup, or subscription', { param: 'mode' });
    if (!str(p.success_url)) throw new StripeApiError(400, 'Missing required param: success_url.', { param: 'success_url' });
    const items = list(p.line_items);
    if (items.length !== 1) throw new StripeApiError(400, 'This double supports exactly one line item.', { param: 'line_items' });
    const price = this.get(str(items[0]?.price) ?? '', 'price');
    if (mode === 'subscription' && !price.recurring) throw new StripeApiError(400, 'You must provide at least one recurring price in `subscription` mode.', { param: 'line_items' });
    if (mode === 'payment' && price.recurring) throw new StripeApiError(400, 'You specified `payment` mode but passed a recurring price.', { param: 'line_items' });
    const customer = str(p.customer);
    if (customer) this.get(customer, 'customer');
    const id = 'cs_test_' + rid(24);
    return this.put({
      id,
      object: 'checkout.session',
      mode,
      status: 'open',
      payment_status: 'unpaid',
      customer: customer ?? null,
      customer_email: str(p.customer_email) ?? null,
      client_reference_id: str(p.client_reference_id) ?? null,
      metadata: rec(p.metadata),
      success_url: str(p.success_url),
      cancel_url: str(p.cancel_url) ?? null,
      subscription: null,
      payment_intent: null,
      amount_total: price.unit_amount,
      currency: 'usd',
      url: `${this.publicUrl}/checkout/${id}`,
      created: nowSec(),
      livemode: false,
      _price: price.id,
      _subscription_data: p.subscription_data ?? null,
      _payment_intent_metadata: rec(p.payment_intent_data).metadata ?? null,
    });
  }

  private async control(method: string, path: string, body: string): Promise<unknown> {
    const p = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    let m = /^\/_double\/checkout\/(cs_\w+)\/pay$/.exec(path);
    if (m && method === 'POST') {
      const s = this.pay(m[1] ?? '');
      await this.idle();
      return this.snapshot(s);
    }
    m = /^\/_double\/subscriptions\/(sub_\w+)\/(advance|fail_payment)$/.exec(path);
    if (m && method === 'POST') {
      const s = this.advance(m[1] ?? '', { fail: m[2] === 'fail_payment' });
      await this.idle();
      return this.snapshot(s);
    }
    if (path === '/_double/events' && method === 'GET') return { data: this.events.map((d) => ({ ...d.event, _delivery: { attempts: d.attempts, status: d.status, error: d.error } })) };
    m = /^\/_double\/events\/(evt_\w+)\/resend$/.exec(path);
    if (m && method === 'POST') {
      const d = this.events.find((e) => e.event.id === m?.[1]);
      if (!d) throw new StripeApiError(404, 'No such event');
      await this.sendEvent(d, 1);
      return { status: d.status };
    }
    if (path === '/_double/config' && method === 'POST') {
      if (typeof p.deliver === 'boolean') this.deliver = p.deliver;
      if (typeof p.webhookUrl === 'string') this.webhookUrl = p.webhookUrl;
      await this.idle();
      return { deliver: this.deliver, webhookUrl: this.webhookUrl ?? null };
    }
    throw new StripeApiError(404, `Unknown control ${method} ${path}`);
  }

  private checkoutPage(s: Obj): string {
    const price = this.get(String(s._price), 'price');
    const amount = ((price.unit_amount as number) / 100).toFixed(2);
    const what = `${String(price.nickname ?? price.id)} — $${amount}${price.recurring ? ' / ' + (price.recurring as { interval: string }).interval : ''}`;
    return `<!doctype html><html><head><meta charset="utf-8"><title>Checkout (test double)</title></head>
<body style="font-family:sans-serif;max-width:32rem;margin:3rem auto">
<h1>Clipforge checkout</h1><p>Local Stripe test double — no real payment.</p>
<p id="item">${esc(what)}</p>
${s.status === 'open' ? `<form method="post" action="/checkout/${esc(s.id)}/pay"><button id="pay" type="submit">Pay</button></form>` : '<p>This session is complete.</p>'}
${s.cancel_url ? `<p><a href="${esc(String(s.cancel_url))}">Cancel</a></p>` : ''}
</body></html>`;
  }

  private portalPage(ps: Obj): string {
    const subs = [...this.objects.values()].filter((o) => o.object === 'subscription' && o.customer === ps.customer);
    const rows = subs.map((s) => `<li>${esc(s.id)}: ${esc(String(s.status))}${s.cancel_at_period_end ? ' (cancels at period end)' : ''}</li>`).join('');
    return `<!doctype html><html><head><meta charset="utf-8"><title>Billing portal (test double)</title></head>
<body style="font-family:sans-serif;max-width:32rem;margin:3rem auto"><h1>Billing portal</h1><ul>${rows || '<li>No subscriptions</li>'}</ul>
<form method="post" action="/portal/${esc(ps.id)}/cancel"><button id="cancel" type="submit">Cancel subscription at period end</button></form>
<p><a href="${esc(String(ps.return_url ?? '/'))}">Return</a></p></body></html>`;
  }
}
