import { z } from 'zod';
import type { BillingInterval, PackId, PaidTier } from '../contracts/billing.ts';
import { PACKS, PAID_TIERS } from '../contracts/billing.ts';
import { config } from '../config/index.ts';

/**
 * Stripe price ids come from the stage's params (STRIPE_PRICES, a JSON object), never from code:
 * keys `<tier>_<interval>` (basic_month, pro_year, ...) and `pack_<id>` (pack_small, ...).
 */
const priceId = z.string().regex(/^price_[A-Za-z0-9_]+$/, 'expected a Stripe price id');
export const priceCatalogSchema = z.record(z.string(), priceId);
export type PriceCatalog = z.infer<typeof priceCatalogSchema>;

export type PriceTarget = { kind: 'subscription'; tier: PaidTier; interval: BillingInterval } | { kind: 'pack'; pack: PackId };

export function parsePriceCatalog(raw: string | undefined): PriceCatalog {
  if (!raw || !raw.trim()) return {};
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    throw new Error('STRIPE_PRICES is not valid JSON');
  }
  return priceCatalogSchema.parse(data);
}

let cached: { raw: string | undefined; catalog: PriceCatalog } | undefined;
export function priceCatalog(): PriceCatalog {
  const raw = config().STRIPE_PRICES;
  if (!cached || cached.raw !== raw) cached = { raw, catalog: parsePriceCatalog(raw) };
  return cached.catalog;
}

export const subscriptionPriceKey = (tier: PaidTier, interval: BillingInterval) => `${tier}_${interval}`;
export const packPriceKey = (pack: PackId) => `pack_${pack}`;

/** Price id → what it sells, or undefined for a price that is not ours. */
export function priceTarget(catalog: PriceCatalog, id: string): PriceTarget | undefined {
  for (const tier of PAID_TIERS) {
    for (const interval of ['month', 'year'] as const) {
      if (catalog[subscriptionPriceKey(tier, interval)] === id) return { kind: 'subscription', tier, interval };
    }
  }
  for (const pack of PACKS) if (catalog[packPriceKey(pack)] === id) return { kind: 'pack', pack };
  return undefined;
}
