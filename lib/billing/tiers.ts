import type { PackId, Tier, TierLimits } from '../contracts/billing.ts';
import { TIERS } from '../contracts/billing.ts';

/** 1 credit = 1 started minute of source video, minimum 1. */
export function creditsForDuration(seconds: number): number {
  if (!Number.isFinite(seconds) || seconds < 0) throw new RangeError(`Invalid duration: ${seconds}`);
  return Math.max(1, Math.ceil(seconds / 60));
}

export const TIER_NAMES: Record<Tier, string> = { free: 'Free', basic: 'Basic', pro: 'Pro', enterprise: 'Enterprise' };

/** The one definition of what each tier allows. Enterprise values are defaults an admin overrides per account. */
export const TIER_LIMITS: Record<Tier, TierLimits> = {
  free: {
    maxSourceSeconds: 15 * 60,
    maxClipsPerJob: 3,
    maxHeight: 1280,
    watermark: true,
    captionStyles: ['classic'],
    concurrentJobs: 1,
    priority: 'low',
    apiAccess: false,
    monthlyCredits: 30,
  },
  basic: {
    maxSourceSeconds: 60 * 60,
    maxClipsPerJob: 10,
    maxHeight: 1920,
    watermark: false,
    captionStyles: ['classic', 'bold', 'minimal'],
    concurrentJobs: 2,
    priority: 'normal',
    apiAccess: false,
    monthlyCredits: 300,
  },
  pro: {
    maxSourceSeconds: 3 * 60 * 60,
    maxClipsPerJob: 25,
    maxHeight: 1920,
    watermark: false,
    captionStyles: ['classic', 'bold', 'minimal', 'karaoke'],
    concurrentJobs: 5,
    priority: 'high',
    apiAccess: true,
    monthlyCredits: 1200,
  },
  enterprise: {
    maxSourceSeconds: 6 * 60 * 60,
    maxClipsPerJob: 50,
    maxHeight: 3840,
    watermark: false,
    captionStyles: ['classic', 'bold', 'minimal', 'karaoke', 'custom'],
    concurrentJobs: 20,
    priority: 'high',
    apiAccess: true,
    monthlyCredits: 5000,
  },
};

/** One-time credit packs; their credits never expire. */
export const PACK_CREDITS: Record<PackId, number> = { small: 100, medium: 500, large: 2000 };

const RANK: Record<Tier, number> = { free: 0, basic: 1, pro: 2, enterprise: 3 };
export const tierRank = (t: Tier): number => RANK[t];
export const isTier = (v: unknown): v is Tier => typeof v === 'string' && (TIERS as readonly string[]).includes(v);

/** Limits of an account: the tier's, with per-account overrides (enterprise only). */
export function limitsFor(tier: Tier, overrides?: Partial<TierLimits> | null): TierLimits {
  const base = TIER_LIMITS[tier];
  if (tier !== 'enterprise' || !overrides) return { ...base, captionStyles: [...base.captionStyles] };
  return { ...base, ...overrides };
}
