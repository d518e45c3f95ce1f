/**
 * Billing: tiers, the credit ledger, Stripe. Other areas code against these names only.
 */
import type { Tier, TierLimits, SubscriptionStatus } from '../contracts/billing.ts';
import { getAccount as accountView } from './account.ts';

export { creditsForDuration, TIER_LIMITS, PACK_CREDITS, limitsFor } from './tiers.ts';
export { reserveCredits, settleCredits, refundCredits, getBalance, grantCredits, adjustCredits } from './ledger.ts';
export { meter } from './usage-middleware.ts';
export type { Tier, TierLimits } from '../contracts/billing.ts';

/** A user's tier, subscription status and effective limits (creates the free account on first use). */
export async function getAccount(userId: string): Promise<{ userId: string; tier: Tier; status: SubscriptionStatus; limits: TierLimits }> {
  const v = await accountView(userId);
  return { userId: v.userId, tier: v.tier, status: v.status, limits: v.limits };
}
