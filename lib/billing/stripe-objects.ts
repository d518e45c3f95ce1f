import { z } from 'zod';

/**
 * The fields of Stripe objects we rely on, validated (never cast) after every API read. Stripe
 * API 2025+ shapes: subscription periods live on the items, an invoice's subscription under
 * parent.subscription_details.
 */
const id = (prefix: string) => z.string().startsWith(prefix);
const expandable = (prefix: string) =>
  z.union([id(prefix), z.object({ id: id(prefix) }).loose()]).transform((v) => (typeof v === 'string' ? v : v.id));
const metadata = z.record(z.string(), z.string()).nullish().transform((m) => m ?? {});

export const stripeSubscription = z
  .object({
    id: id('sub_'),
    object: z.literal('subscription'),
    customer: expandable('cus_'),
    status: z.enum(['incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'canceled', 'unpaid', 'paused']),
    cancel_at_period_end: z.boolean(),
    metadata,
    items: z.object({
      data: z
        .array(
          z.object({
            id: id('si_'),
            price: z.object({ id: id('price_'), recurring: z.object({ interval: z.string() }).loose().nullish() }).loose(),
            current_period_start: z.number().int(),
            current_period_end: z.number().int(),
          }).loose(),
        )
        .min(1),
    }).loose(),
  })
  .loose();
export type StripeSubscription = z.infer<typeof stripeSubscription>;

export const stripeCheckoutSession = z
  .object({
    id: id('cs_'),
    object: z.literal('checkout.session'),
    mode: z.enum(['payment', 'subscription', 'setup']),
    status: z.string().nullish(),
    payment_status: z.enum(['paid', 'unpaid', 'no_payment_required']),
    client_reference_id: z.string().nullish(),
    customer: expandable('cus_').nullish(),
    subscription: expandable('sub_').nullish(),
    payment_intent: expandable('pi_').nullish(),
    metadata,
  })
  .loose();

export const stripeInvoice = z
  .object({
    id: id('in_'),
    object: z.literal('invoice'),
    customer: expandable('cus_'),
    status: z.string().nullish(),
    billing_reason: z.string().nullish(),
    amount_paid: z.number().int().nullish(),
    period_start: z.number().int().nullish(),
    period_end: z.number().int().nullish(),
    parent: z
      .object({ subscription_details: z.object({ subscription: expandable('sub_') }).loose().nullish() })
      .loose()
      .nullish(),
  })
  .loose();

const lineParent = z.object({ proration: z.boolean() }).loose().nullish();

/** A preview invoice (POST /v1/invoices/create_preview): it has no id worth keeping, only amounts and lines. */
export const stripePreviewInvoice = z
  .object({
    object: z.literal('invoice'),
    currency: z.string().min(3),
    amount_due: z.number().int(),
    total: z.number().int().nullish(),
    period_end: z.number().int().nullish(),
    next_payment_attempt: z.number().int().nullish(),
    subscription_proration_date: z.number().int().nullish(),
    lines: z
      .object({
        data: z.array(
          z
            .object({
              amount: z.number().int(),
              description: z.string().nullish(),
              period: z.object({ start: z.number().int(), end: z.number().int() }).loose().nullish(),
              parent: z
                .object({ subscription_item_details: lineParent, invoice_item_details: lineParent })
                .loose()
                .nullish(),
            })
            .loose(),
        ),
        has_more: z.boolean().optional(),
      })
      .loose(),
  })
  .loose();
export type StripePreviewInvoice = z.infer<typeof stripePreviewInvoice>;

export const stripeCharge = z
  .object({
    id: id('ch_'),
    object: z.literal('charge'),
    amount: z.number().int(),
    amount_refunded: z.number().int(),
    refunded: z.boolean(),
    payment_intent: expandable('pi_').nullish(),
  })
  .loose();

/** The envelope after signature verification; `data.object` is validated per type. */
export const stripeEventEnvelope = z
  .object({
    id: id('evt_'),
    type: z.string(),
    created: z.number().int(),
    data: z.object({ object: z.object({ id: z.string() }).loose() }).loose(),
  })
  .loose();
export type StripeEventEnvelope = z.infer<typeof stripeEventEnvelope>;
