export function formatDate(iso: string | null | undefined, withTime = false): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  return d.toLocaleString('en-US', withTime ? { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' } : { dateStyle: 'medium', timeZone: 'UTC' });
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

export const STAGE_LABELS: Record<string, string> = {
  download: 'Download', probe: 'Inspect', audio: 'Audio', transcribe: 'Transcribe', select: 'Pick highlights', render: 'Render', finalize: 'Finish',
};
