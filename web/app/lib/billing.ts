import type { Tier } from '../../../lib/contracts/billing.ts';

/** Pure helpers for the billing pages (unit-tested). */
export const TIER_ORDER: Tier[] = ['free', 'basic', 'pro', 'enterprise'];

export interface DailyPoint {
  date: string;
  spent: number;
  granted: number;
}

/** One point per day from the period start to min(end, today), zero where the API had nothing. */
export function fillDaily(period: { start: string; end: string }, daily: DailyPoint[], today = new Date()): DailyPoint[] {
  const byDate = new Map(daily.map((d) => [d.date, d]));
  const start = new Date(period.start.slice(0, 10) + 'T00:00:00Z');
  const endLimit = new Date(Math.min(new Date(period.end).getTime(), today.getTime()));
  const out: DailyPoint[] = [];
  for (let d = start; d <= endLimit && out.length < 400; d = new Date(d.getTime() + 86_400_000)) {
    const key = d.toISOString().slice(0, 10);
    out.push(byDate.get(key) ?? { date: key, spent: 0, granted: 0 });
  }
  for (const d of daily) if (!out.some((o) => o.date === d.date)) out.push(d);
  return out.sort((a, b) => a.date.localeCompare(b.date));
}

export interface ChangePreview {
  from: Tier;
  to: Tier;
  direction: 'upgrade' | 'downgrade' | 'same';
  effective: 'now' | 'period_end';
  /** Share of the current period still ahead (0–1): the prorated part of the price difference. */
  remainingFraction: number;
  daysLeft: number;
  creditsFrom: number;
  creditsTo: number;
  periodEnd: string | null;
}

/**
 * What a plan change will do, as Stripe prorates it: an upgrade applies now and bills the price
 * difference for the remaining share of the period; a downgrade applies at the period end.
 */
export function previewChange(input: {
  from: Tier;
  to: Tier;
  currentPeriodEnd: string | null;
  interval: 'month' | 'year' | null;
  creditsFrom: number;
  creditsTo: number;
  now?: Date;
}): ChangePreview {
  const now = input.now ?? new Date();
  const diff = TIER_ORDER.indexOf(input.to) - TIER_ORDER.indexOf(input.from);
  const direction = diff > 0 ? 'upgrade' : diff < 0 ? 'downgrade' : 'same';
  const periodMs = (input.interval === 'year' ? 365 : 30) * 86_400_000;
  const endMs = input.currentPeriodEnd ? new Date(input.currentPeriodEnd).getTime() : now.getTime();
  const leftMs = Math.max(0, endMs - now.getTime());
  return {
    from: input.from,
    to: input.to,
    direction,
    effective: direction === 'upgrade' ? 'now' : 'period_end',
    remainingFraction: Math.min(1, leftMs / periodMs),
    daysLeft: Math.ceil(leftMs / 86_400_000),
    creditsFrom: input.creditsFrom,
    creditsTo: input.creditsTo,
    periodEnd: input.currentPeriodEnd,
  };
}
