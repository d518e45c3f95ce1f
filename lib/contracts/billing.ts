import { z } from 'zod';
import type { RouteSpec } from './routes.ts';

/**
 * Billing contract: plans, subscription, credit packs, usage. Browser-safe (zod only); the API,
 * the portal and the OpenAPI generator all import these schemas.
 */
export const TIERS = ['free', 'basic', 'pro', 'enterprise'] as const;
export const tierSchema = z.enum(TIERS);
export type Tier = z.infer<typeof tierSchema>;

/** Tiers a customer can buy through Checkout (enterprise is sold by a human). */
export const PAID_TIERS = ['basic', 'pro'] as const;
export const paidTierSchema = z.enum(PAID_TIERS);
export type PaidTier = z.infer<typeof paidTierSchema>;

export const intervalSchema = z.enum(['month', 'year']);
export type BillingInterval = z.infer<typeof intervalSchema>;

export const PACKS = ['small', 'medium', 'large'] as const;
export const packSchema = z.enum(PACKS);
export type PackId = z.infer<typeof packSchema>;

export const captionStyleSchema = z.enum(['classic', 'bold', 'karaoke', 'minimal', 'custom']);
export type CaptionStyle = z.infer<typeof captionStyleSchema>;

export const tierLimitsSchema = z.object({
  /** Longest source video accepted, in seconds. */
  maxSourceSeconds: z.number().int().positive(),
  maxClipsPerJob: z.number().int().positive(),
  /** Output frame height in pixels of the 9:16 clip (1280 = 720p, 1920 = 1080p, 3840 = 4K). */
  maxHeight: z.number().int().positive(),
  watermark: z.boolean(),
  captionStyles: z.array(captionStyleSchema).min(1),
  concurrentJobs: z.number().int().positive(),
  priority: z.enum(['low', 'normal', 'high']),
  apiAccess: z.boolean(),
  /** Credits granted per month (1 credit = 1 started minute of source video). */
  monthlyCredits: z.number().int().nonnegative(),
});
export type TierLimits = z.infer<typeof tierLimitsSchema>;

export const planSchema = z.object({
  tier: tierSchema,
  name: z.string(),
  limits: tierLimitsSchema,
  /** Which billing intervals can be bought through Checkout (empty: free, or contact sales). */
  intervals: z.array(intervalSchema),
});
export const packOfferSchema = z.object({ pack: packSchema, credits: z.number().int().positive(), available: z.boolean() });
export const plansResponseSchema = z.object({
  plans: z.array(planSchema),
  packs: z.array(packOfferSchema),
  creditRule: z.string(),
});
export type PlansResponse = z.infer<typeof plansResponseSchema>;

export const subscriptionStatusSchema = z.enum([
  'none',
  'incomplete',
  'incomplete_expired',
  'trialing',
  'active',
  'past_due',
  'canceled',
  'unpaid',
  'paused',
]);
export type SubscriptionStatus = z.infer<typeof subscriptionStatusSchema>;

export const subscriptionResponseSchema = z.object({
  tier: tierSchema,
  status: subscriptionStatusSchema,
  interval: intervalSchema.nullable(),
  currentPeriodEnd: z.iso.datetime().nullable(),
  cancelAtPeriodEnd: z.boolean(),
  /** Set after a downgrade: the tier that takes over at the period end. */
  nextTier: tierSchema.nullable(),
  limits: tierLimitsSchema,
});
export type SubscriptionResponse = z.infer<typeof subscriptionResponseSchema>;

export const subscriptionCheckoutBody = z.strictObject({ tier: paidTierSchema, interval: intervalSchema.default('month') });
export const subscriptionChangeBody = z.strictObject({
  tier: paidTierSchema,
  /**
   * Unix seconds from GET /subscription/preview: an upgrade is then prorated as of that moment, so
   * the amount charged is the amount previewed. Ignored when older than an hour or in the future.
   */
  prorationDate: z.number().int().positive().optional(),
});
export const creditsCheckoutBody = z.strictObject({ pack: packSchema });
export const urlResponseSchema = z.object({ url: z.url() });
export const subscriptionChangeResponseSchema = z.object({
  tier: tierSchema,
  nextTier: tierSchema.nullable(),
  effective: z.enum(['now', 'period_end']),
});

export const subscriptionPreviewQuery = z.object({
  tier: paidTierSchema,
  /** Plan changes keep the billing interval; another interval than the current one → 409. */
  interval: intervalSchema.optional(),
});
/** Amounts are integers in the currency's minor unit (cents for usd), as Stripe gives them. */
export const previewLineSchema = z.object({
  description: z.string(),
  amount: z.number().int(),
  /** A proration line (credit for unused time on the old price, or charge for the remaining time on the new one). */
  proration: z.boolean(),
  periodStart: z.iso.datetime().nullable(),
  periodEnd: z.iso.datetime().nullable(),
});
export const subscriptionPreviewResponseSchema = z.object({
  currentTier: paidTierSchema,
  tier: paidTierSchema,
  interval: intervalSchema,
  /** now: an upgrade, invoiced immediately; period_end: a downgrade, nothing is charged now. */
  effective: z.enum(['now', 'period_end']),
  currency: z.string(),
  /** Charged when the change is confirmed (the prorated invoice of an upgrade; 0 for a downgrade). */
  amountDue: z.number().int().nonnegative(),
  /** Sum of the proration lines (0 for a downgrade). */
  prorationAmount: z.number().int(),
  /** The moment the proration is computed for; pass it back to POST /subscription/change. */
  prorationDate: z.number().int().nullable(),
  /** The next regular invoice, on the new price. */
  nextPaymentAt: z.iso.datetime(),
  nextPaymentAmount: z.number().int(),
  /** Every line of Stripe's preview invoice. */
  lines: z.array(previewLineSchema),
});
export type SubscriptionPreview = z.infer<typeof subscriptionPreviewResponseSchema>;

export const LEDGER_KINDS = ['grant', 'reserve', 'settle', 'refund', 'expire', 'adjust'] as const;
export const ledgerKindSchema = z.enum(LEDGER_KINDS);
export const ledgerEntrySchema = z.object({
  kind: ledgerKindSchema,
  /** Signed change of the available balance. */
  amount: z.number().int(),
  /** Idempotency key of the operation (invoice id, job id, ...). */
  ref: z.string(),
  source: z.string().optional(),
  at: z.iso.datetime(),
  balanceAfter: z.number().int().optional(),
});
export type LedgerEntryView = z.infer<typeof ledgerEntrySchema>;

export const usageQuery = z.object({
  cursor: z.string().max(2048).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
});
export const usageResponseSchema = z.object({
  balance: z.number().int(),
  reserved: z.number().int(),
  period: z.object({ start: z.iso.datetime(), end: z.iso.datetime() }),
  granted: z.number().int(),
  spent: z.number().int(),
  daily: z.array(z.object({ date: z.string(), spent: z.number().int(), granted: z.number().int() })),
  ledger: z.array(ledgerEntrySchema),
  nextCursor: z.string().nullable(),
});
export type UsageResponse = z.infer<typeof usageResponseSchema>;

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');
export const adminUsageQuery = z.object({ from: day.optional(), to: day.optional(), userId: z.string().max(128).optional() });
export const adminUsageResponseSchema = z.object({
  from: z.string(),
  to: z.string(),
  totals: z.object({ requests: z.number().int(), errors: z.number().int(), users: z.number().int() }),
  users: z.array(
    z.object({
      userId: z.string(),
      requests: z.number().int(),
      errors: z.number().int(),
      avgLatencyMs: z.number(),
      routes: z.record(z.string(), z.number().int()),
    }),
  ),
});

export const adminLimitsBody = z.strictObject({
  tier: z.literal('enterprise').default('enterprise'),
  limits: tierLimitsSchema.partial(),
});
export const accountResponseSchema = z.object({
  userId: z.string(),
  tier: tierSchema,
  status: subscriptionStatusSchema,
  limits: tierLimitsSchema,
});

export const billingRoutes: RouteSpec[] = [
  { method: 'GET', path: '/plans', auth: 'public', summary: 'Tiers, their limits and the credit packs', responses: { 200: plansResponseSchema } },
  {
    method: 'GET',
    path: '/subscription',
    auth: 'user',
    summary: 'Current tier, status, period end and cancel-at-period-end',
    responses: { 200: subscriptionResponseSchema, 401: 'error' },
  },
  {
    method: 'POST',
    path: '/subscription/checkout',
    auth: 'user',
    summary: 'Start a Stripe Checkout session for a subscription',
    body: subscriptionCheckoutBody,
    responses: { 200: urlResponseSchema, 400: 'error', 401: 'error', 409: 'error', 503: 'error' },
  },
  {
    method: 'POST',
    path: '/subscription/change',
    auth: 'user',
    summary: 'Upgrade now with proration, or downgrade at the period end',
    body: subscriptionChangeBody,
    responses: { 200: subscriptionChangeResponseSchema, 400: 'error', 401: 'error', 409: 'error' },
  },
  {
    method: 'GET',
    path: '/subscription/preview',
    auth: 'user',
    summary: 'What a plan change costs: Stripe’s preview invoice with its proration lines (nothing changes)',
    query: subscriptionPreviewQuery,
    responses: { 200: subscriptionPreviewResponseSchema, 400: 'error', 401: 'error', 409: 'error', 503: 'error' },
  },
  { method: 'POST', path: '/subscription/cancel', auth: 'user', summary: 'Cancel at the period end', responses: { 200: subscriptionResponseSchema, 401: 'error', 409: 'error' } },
  { method: 'POST', path: '/subscription/resume', auth: 'user', summary: 'Undo a pending cancellation', responses: { 200: subscriptionResponseSchema, 401: 'error', 409: 'error' } },
  { method: 'POST', path: '/billing/portal', auth: 'user', summary: 'Stripe billing portal session', responses: { 200: urlResponseSchema, 401: 'error', 409: 'error' } },
  {
    method: 'POST',
    path: '/credits/checkout',
    auth: 'user',
    summary: 'Buy a credit pack (one-time payment; pack credits do not expire)',
    body: creditsCheckoutBody,
    responses: { 200: urlResponseSchema, 400: 'error', 401: 'error', 503: 'error' },
  },
  {
    method: 'GET',
    path: '/usage',
    auth: 'user',
    summary: 'Balance, this period’s grants and spend, daily usage and the ledger (paginated)',
    query: usageQuery,
    responses: { 200: usageResponseSchema, 400: 'error', 401: 'error' },
  },
  {
    method: 'GET',
    path: '/admin/usage',
    auth: 'admin',
    summary: 'Metered API calls across users',
    query: adminUsageQuery,
    responses: { 200: adminUsageResponseSchema, 400: 'error', 401: 'error', 403: 'error' },
  },
  {
    method: 'PUT',
    path: '/admin/accounts/{userId}/limits',
    auth: 'admin',
    summary: 'Set an account’s enterprise tier and limit overrides',
    body: adminLimitsBody,
    responses: { 200: accountResponseSchema, 400: 'error', 401: 'error', 403: 'error' },
  },
  { method: 'POST', path: '/webhooks/stripe', auth: 'public', summary: 'Stripe webhook (signed)', responses: { 200: 'empty', 400: 'error', 500: 'error' } },
];
