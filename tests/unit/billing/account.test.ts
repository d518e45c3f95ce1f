import { describe, expect, it } from '@jest/globals';
import { allowanceRef, effectiveTier, toView } from '../../../lib/billing/account.ts';
import { TIER_LIMITS } from '../../../lib/billing/tiers.ts';

const NOW = 1_800_000_000;

describe('effectiveTier', () => {
  it('is free without an account or subscription', () => {
    expect(effectiveTier(undefined, NOW)).toEqual({ tier: 'free', nextTier: null });
    expect(effectiveTier({ status: 'none' }, NOW)).toEqual({ tier: 'free', nextTier: null });
  });
  it('follows a paying subscription, including past_due while Stripe retries', () => {
    expect(effectiveTier({ status: 'active', subscriptionTier: 'pro' }, NOW).tier).toBe('pro');
    expect(effectiveTier({ status: 'past_due', subscriptionTier: 'basic' }, NOW).tier).toBe('basic');
    expect(effectiveTier({ status: 'canceled', subscriptionTier: 'pro' }, NOW).tier).toBe('free');
    expect(effectiveTier({ status: 'incomplete', subscriptionTier: 'pro' }, NOW).tier).toBe('free');
  });
  it('keeps the paid tier after a downgrade until the paid period ends', () => {
    const a = { status: 'active', subscriptionTier: 'basic', paidTier: 'pro', paidThrough: NOW + 100 };
    expect(effectiveTier(a, NOW)).toEqual({ tier: 'pro', nextTier: 'basic' });
    expect(effectiveTier(a, NOW + 100)).toEqual({ tier: 'basic', nextTier: null });
  });
  it('an upgrade applies immediately', () => {
    expect(effectiveTier({ status: 'active', subscriptionTier: 'pro', paidTier: 'basic', paidThrough: NOW + 100 }, NOW).tier).toBe('pro');
  });
  it('shows free as the next tier of a subscription cancelling at period end', () => {
    expect(effectiveTier({ status: 'active', subscriptionTier: 'basic', cancelAtPeriodEnd: true }, NOW)).toEqual({ tier: 'basic', nextTier: 'free' });
  });
  it('admin enterprise wins', () => {
    expect(effectiveTier({ status: 'canceled', adminTier: 'enterprise' }, NOW).tier).toBe('enterprise');
  });
});

describe('toView', () => {
  it('applies valid enterprise overrides and ignores invalid ones', () => {
    const v = toView('u1', { adminTier: 'enterprise', status: 'none', limitsOverride: { concurrentJobs: 40 } }, NOW);
    expect(v.limits.concurrentJobs).toBe(40);
    const bad = toView('u1', { adminTier: 'enterprise', status: 'none', limitsOverride: { concurrentJobs: -3 } }, NOW);
    expect(bad.limits).toEqual(TIER_LIMITS.enterprise);
  });
  it('maps an unknown status to none and epoch seconds to ISO dates', () => {
    const v = toView('u1', { status: 'weird', currentPeriodEnd: NOW }, NOW);
    expect(v.status).toBe('none');
    expect(v.currentPeriodEnd).toBe(new Date(NOW * 1000).toISOString());
  });
});

describe('allowanceRef', () => {
  const now = new Date('2026-11-26T04:00:00Z');
  const view = (over: Partial<ReturnType<typeof toView>>) => ({ ...toView('u1', undefined, NOW), ...over });
  it('is once per month for free, enterprise and yearly plans; none for monthly plans (invoices grant)', () => {
    expect(allowanceRef('u1', view({ tier: 'free' }), now)).toBe('free:u1:2026-11');
    expect(allowanceRef('u1', view({ tier: 'enterprise' }), now)).toBe('enterprise:u1:2026-11');
    expect(allowanceRef('u1', view({ tier: 'pro', interval: 'year', subscriptionId: 'sub_1' }), now)).toBe('yearly:sub_1:2026-11');
    expect(allowanceRef('u1', view({ tier: 'pro', interval: 'month', subscriptionId: 'sub_1' }), now)).toBeUndefined();
  });
});
