import { jest, describe, expect, it } from '@jest/globals';
import {
  grantCredits,
  reserveCredits,
  settleCredits,
  refundCredits,
  getBalance,
  adjustCredits,
} from '../../../lib/billing/ledger.ts';
import { getAccount } from '../../../lib/billing/index.ts';
import { PaymentRequiredError } from '../../../lib/http/errors.ts';
import { TIER_LIMITS } from '../../../lib/billing/tiers.ts';
import { expectInvariant, ledgerOf, newUserId } from './helpers.ts';

// The machine may be loaded: DynamoDB Local transactions and webhook round trips get generous time.
jest.setTimeout(90_000);

describe('credit ledger (DynamoDB Local)', () => {
  it('5 credits and 20 parallel 1-credit reservations → exactly 5 succeed, 15 get 402, balance 0', async () => {
    const userId = newUserId();
    await grantCredits({ userId, ref: `test:${userId}`, credits: 5, source: 'admin' });
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => reserveCredits({ userId, jobId: `job-${i}`, credits: 1 })));
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected');
    expect(ok).toHaveLength(5);
    expect(refused).toHaveLength(15);
    for (const r of refused) {
      const err = (r as PromiseRejectedResult).reason as PaymentRequiredError;
      expect(err).toBeInstanceOf(PaymentRequiredError);
      expect(err.status).toBe(402);
      expect(err.code).toBe('INSUFFICIENT_CREDITS');
      expect(err.details).toEqual({ required: 1, balance: expect.any(Number) });
    }
    expect(await getBalance(userId)).toEqual({ balance: 0, reserved: 5 });
    await expectInvariant(userId);
  });

  it('the same job reserved twice (even in parallel) → one reservation and one ledger entry', async () => {
    const userId = newUserId();
    await grantCredits({ userId, ref: `test:${userId}`, credits: 10, source: 'admin' });
    const [a, b] = await Promise.all([reserveCredits({ userId, jobId: 'job-1', credits: 4 }), reserveCredits({ userId, jobId: 'job-1', credits: 4 })]);
    const again = await reserveCredits({ userId, jobId: 'job-1', credits: 4 });
    expect([a.reserved, b.reserved, again.reserved]).toEqual([4, 4, 4]);
    expect(await getBalance(userId)).toEqual({ balance: 6, reserved: 4 });
    const entries = await ledgerOf(userId);
    expect(entries.filter((e) => e.kind === 'reserve')).toHaveLength(1);
    await expectInvariant(userId);
  });

  it('failure → full refund, idempotent; refund after settle is a no-op', async () => {
    const userId = newUserId();
    await grantCredits({ userId, ref: `test:${userId}`, credits: 10, source: 'admin' });
    await reserveCredits({ userId, jobId: 'failing', credits: 7 });
    expect(await refundCredits({ userId, jobId: 'failing', reason: 'stage.failed: download' })).toEqual({ refunded: 7 });
    expect(await refundCredits({ userId, jobId: 'failing', reason: 'retry' })).toEqual({ refunded: 0 });
    expect(await getBalance(userId)).toEqual({ balance: 10, reserved: 0 });
    expect(await settleCredits({ userId, jobId: 'failing', actualCredits: 7 })).toEqual({ charged: 0, refunded: 0 });
    await reserveCredits({ userId, jobId: 'done', credits: 3 });
    await settleCredits({ userId, jobId: 'done', actualCredits: 3 });
    expect(await refundCredits({ userId, jobId: 'done', reason: 'late cancel' })).toEqual({ refunded: 0 });
    expect(await refundCredits({ userId, jobId: 'never-reserved', reason: 'x' })).toEqual({ refunded: 0 });
    expect(await getBalance(userId)).toEqual({ balance: 7, reserved: 0 });
    await expectInvariant(userId);
  });

  it('shorter than quoted → partial refund; settle is idempotent; longer takes the difference or 402', async () => {
    const userId = newUserId();
    await grantCredits({ userId, ref: `test:${userId}`, credits: 20, source: 'admin' });
    await reserveCredits({ userId, jobId: 'short', credits: 10 });
    const [s1, s2] = await Promise.all([
      settleCredits({ userId, jobId: 'short', actualCredits: 6 }),
      settleCredits({ userId, jobId: 'short', actualCredits: 6 }),
    ]);
    expect(s1).toEqual({ charged: 6, refunded: 4 });
    expect(s2).toEqual({ charged: 6, refunded: 4 });
    expect(await getBalance(userId)).toEqual({ balance: 14, reserved: 0 });
    await reserveCredits({ userId, jobId: 'long', credits: 2 });
    expect(await settleCredits({ userId, jobId: 'long', actualCredits: 5 })).toEqual({ charged: 5, refunded: 0 });
    expect(await getBalance(userId)).toEqual({ balance: 9, reserved: 0 });
    await reserveCredits({ userId, jobId: 'too-long', credits: 1 });
    await expect(settleCredits({ userId, jobId: 'too-long', actualCredits: 50 })).rejects.toBeInstanceOf(PaymentRequiredError);
    expect(await refundCredits({ userId, jobId: 'too-long', reason: 'over budget' })).toEqual({ refunded: 1 });
    await expectInvariant(userId);
  });

  it('rejects invalid amounts and ids before touching the table', async () => {
    const userId = newUserId();
    await expect(reserveCredits({ userId, jobId: 'x', credits: 0 })).rejects.toThrow(RangeError);
    await expect(reserveCredits({ userId, jobId: 'x', credits: 1.5 })).rejects.toThrow(RangeError);
    await expect(reserveCredits({ userId, jobId: 'a#b', credits: 1 })).rejects.toThrow(RangeError);
    await expect(reserveCredits({ userId, jobId: 'x', credits: 1 })).rejects.toBeInstanceOf(PaymentRequiredError);
    expect(await ledgerOf(userId)).toHaveLength(0);
  });

  it('grants happen once per id; a new period replaces the subscription credits but packs stay', async () => {
    const userId = newUserId();
    await grantCredits({ userId, ref: 'invoice:in_1', credits: 300, source: 'subscription', replace: true });
    expect((await grantCredits({ userId, ref: 'invoice:in_1', credits: 300, source: 'subscription', replace: true })).duplicate).toBe(true);
    await grantCredits({ userId, ref: 'checkout:cs_1', credits: 100, source: 'pack' });
    await reserveCredits({ userId, jobId: 'j1', credits: 250 });
    await settleCredits({ userId, jobId: 'j1', actualCredits: 250 });
    await reserveCredits({ userId, jobId: 'j2', credits: 20 }); // in flight across the renewal
    // held 150 = 100 pack + 50 subscription, of which 20 are reserved → 30 available subscription credits expire
    const r = await grantCredits({ userId, ref: 'invoice:in_2', credits: 300, source: 'subscription', replace: true });
    expect(r).toEqual({ granted: 300, expired: 30, duplicate: false });
    expect(await getBalance(userId)).toEqual({ balance: 400, reserved: 20 });
    const b = await expectInvariant(userId);
    expect(b.packCredits).toBe(100);
    // parallel duplicates of the next renewal still grant once
    const dup = await Promise.all(Array.from({ length: 5 }, () => grantCredits({ userId, ref: 'invoice:in_3', credits: 300, source: 'subscription', replace: true })));
    expect(dup.filter((d) => !d.duplicate)).toHaveLength(1);
    await expectInvariant(userId);
  });

  it('admin adjustments add or remove available credits, once per ref', async () => {
    const userId = newUserId();
    await adjustCredits({ userId, ref: 'gift-1', credits: 15 });
    expect(await adjustCredits({ userId, ref: 'fix-1', credits: -40 })).toEqual({ applied: -15 });
    expect(await adjustCredits({ userId, ref: 'fix-1', credits: -40 })).toEqual({ applied: 0 });
    expect(await getBalance(userId)).toEqual({ balance: 0, reserved: 0 });
    await expectInvariant(userId);
  });

  it('a brand-new user gets the free tier and its monthly credits once', async () => {
    const userId = newUserId();
    const [a] = await Promise.all([getAccount(userId), getAccount(userId), getAccount(userId)]);
    expect(a).toMatchObject({ userId, tier: 'free', status: 'none', limits: TIER_LIMITS.free });
    await getAccount(userId);
    expect(await getBalance(userId)).toEqual({ balance: TIER_LIMITS.free.monthlyCredits, reserved: 0 });
    await reserveCredits({ userId, jobId: 'first-job', credits: 3 });
    await expectInvariant(userId);
  });
});
