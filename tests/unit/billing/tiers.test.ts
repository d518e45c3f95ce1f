import { describe, expect, it } from '@jest/globals';
import { creditsForDuration, limitsFor, TIER_LIMITS, PACK_CREDITS } from '../../../lib/billing/tiers.ts';
import { parsePriceCatalog, priceTarget } from '../../../lib/billing/prices.ts';
import { listPlans } from '../../../lib/billing/plans.ts';
import { plansResponseSchema, tierLimitsSchema, TIERS } from '../../../lib/contracts/billing.ts';

describe('creditsForDuration', () => {
  it.each([
    [0, 1],
    [0.4, 1],
    [59.9, 1],
    [60, 1],
    [60.001, 2],
    [61, 2],
    [3600, 60],
    [3601, 61],
  ])('%s s → %s credits', (seconds, credits) => {
    expect(creditsForDuration(seconds)).toBe(credits);
  });
  it('rejects negative and non-finite durations', () => {
    expect(() => creditsForDuration(-1)).toThrow(RangeError);
    expect(() => creditsForDuration(Number.NaN)).toThrow(RangeError);
    expect(() => creditsForDuration(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});

describe('tiers', () => {
  it('every tier has valid limits and grows with the tier', () => {
    for (const t of TIERS) expect(tierLimitsSchema.safeParse(TIER_LIMITS[t]).success).toBe(true);
    expect(TIER_LIMITS.free.watermark).toBe(true);
    expect(TIER_LIMITS.basic.monthlyCredits).toBeGreaterThan(TIER_LIMITS.free.monthlyCredits);
    expect(TIER_LIMITS.pro.monthlyCredits).toBeGreaterThan(TIER_LIMITS.basic.monthlyCredits);
    expect(TIER_LIMITS.pro.maxSourceSeconds).toBeGreaterThan(TIER_LIMITS.basic.maxSourceSeconds);
  });
  it('applies overrides to enterprise only and never mutates the table', () => {
    expect(limitsFor('enterprise', { concurrentJobs: 99, monthlyCredits: 10_000 })).toMatchObject({ concurrentJobs: 99, monthlyCredits: 10_000, apiAccess: true });
    expect(limitsFor('pro', { concurrentJobs: 99 }).concurrentJobs).toBe(TIER_LIMITS.pro.concurrentJobs);
    const l = limitsFor('basic');
    l.captionStyles.push('custom');
    expect(TIER_LIMITS.basic.captionStyles).not.toContain('custom');
  });
});

describe('price catalog', () => {
  const catalog = parsePriceCatalog('{"basic_month":"price_a","pro_year":"price_b","pack_small":"price_c"}');
  it('maps price ids to what they sell', () => {
    expect(priceTarget(catalog, 'price_a')).toEqual({ kind: 'subscription', tier: 'basic', interval: 'month' });
    expect(priceTarget(catalog, 'price_b')).toEqual({ kind: 'subscription', tier: 'pro', interval: 'year' });
    expect(priceTarget(catalog, 'price_c')).toEqual({ kind: 'pack', pack: 'small' });
    expect(priceTarget(catalog, 'price_unknown')).toBeUndefined();
  });
  it('treats empty as no prices and refuses junk', () => {
    expect(parsePriceCatalog(undefined)).toEqual({});
    expect(parsePriceCatalog('  ')).toEqual({});
    expect(() => parsePriceCatalog('{nope')).toThrow(/not valid JSON/);
    expect(() => parsePriceCatalog('{"basic_month":"prod_123"}')).toThrow();
  });
  it('GET /plans offers only what has a price on this stage', () => {
    const plans = plansResponseSchema.parse(listPlans(catalog));
    expect(plans.plans.map((p) => p.tier)).toEqual(['free', 'basic', 'pro', 'enterprise']);
    expect(plans.plans.find((p) => p.tier === 'basic')?.intervals).toEqual(['month']);
    expect(plans.plans.find((p) => p.tier === 'pro')?.intervals).toEqual(['year']);
    expect(plans.plans.find((p) => p.tier === 'free')?.intervals).toEqual([]);
    expect(plans.packs).toEqual([
      { pack: 'small', credits: PACK_CREDITS.small, available: true },
      { pack: 'medium', credits: PACK_CREDITS.medium, available: false },
      { pack: 'large', credits: PACK_CREDITS.large, available: false },
    ]);
  });
});
