import { STAGE_TABLE } from '../../../lib/contracts/stage-table.ts';

export function formatDate(iso: string | null | undefined, withTime = false): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  return d.toLocaleString('en-US', withTime ? { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' } : { dateStyle: 'medium', timeZone: 'UTC' });
}

/** "90", "1:30" or "1:02:03" → seconds; undefined for anything else. The inverse of formatDuration. */
export function parseClock(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  const m = /^(?:(\d+):)?([0-5]?\d):([0-5]\d)$/.exec(t);
  if (!m) return undefined;
  return Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds)) return '—';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${m}:${String(r).padStart(2, '0')}`;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function formatHeight(h: number): string {
  if (h >= 3840) return '4K';
  if (h >= 1920) return '1080p';
  if (h >= 1280) return '720p';
  return `${h}p`;
}

/** Each stage's short label, from the stage table (lib/contracts/stage-table.ts). */
export const STAGE_LABELS: Record<string, string> = Object.fromEntries(STAGE_TABLE.map((s) => [s.name, s.label]));

/**
 * An amount in the currency's minor unit (as Stripe gives it: cents for usd, yen for jpy) as
 * money, e.g. formatMoney(1350, 'usd') → "$13.50", formatMoney(-600, 'usd') → "-$6.00".
 */
export function formatMoney(minor: number, currency: string, locale = 'en-US'): string {
  let format: Intl.NumberFormat;
  try {
    format = new Intl.NumberFormat(locale, { style: 'currency', currency: currency.toUpperCase() });
  } catch {
    return `${(minor / 100).toFixed(2)} ${currency.toUpperCase()}`;
  }
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(minor / 10 ** digits);
}
