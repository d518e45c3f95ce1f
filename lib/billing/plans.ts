import type { PlansResponse } from '../contracts/billing.ts';
import { PACKS, TIERS } from '../contracts/billing.ts';
import { PACK_CREDITS, TIER_LIMITS, TIER_NAMES, limitsFor } from './tiers.ts';
import { packPriceKey, subscriptionPriceKey, type PriceCatalog } from './prices.ts';

/** GET /plans: tiers, limits and which intervals / packs can be bought on this stage. */
export function listPlans(prices: PriceCatalog): PlansResponse {
  return {
    plans: TIERS.map((tier) => ({
      tier,
      name: TIER_NAMES[tier],
      limits: limitsFor(tier),
      intervals:
        tier === 'basic' || tier === 'pro'
          ? (['month', 'year'] as const).filter((i) => !!prices[subscriptionPriceKey(tier, i)])
          : [],
    })),
    packs: PACKS.map((pack) => ({ pack, credits: PACK_CREDITS[pack], available: !!prices[packPriceKey(pack)] })),
    creditRule: `1 credit = 1 started minute of source video (minimum 1). Free: ${TIER_LIMITS.free.monthlyCredits} credits a month.`,
  };
}
