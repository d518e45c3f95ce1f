import type { PageScan, PageVideo } from '../../lib/contracts/extension-messages.ts';

/**
 * Finds what can be clipped on a page: <video> elements with an http(s) source (blob: and
 * MediaSource streams cannot be fetched by the backend), and the page URL itself on known video
 * sites. Pure DOM reading, no extension API: unit-tested with a fake document.
 */

export interface KnownSite {
  name: string;
  host: RegExp;
  /** Path of a page that shows one video. */
  videoPath: RegExp;
}

export const KNOWN_SITES: KnownSite[] = [
  { name: 'YouTube', host: /(^|\.)youtube\.com$/, videoPath: /^\/(watch|shorts\/|live\/)/ },
  { name: 'YouTube', host: /^youtu\.be$/, videoPath: /^\/[\w-]{6,}/ },
  { name: 'Vimeo', host: /(^|\.)vimeo\.com$/, videoPath: /^\/(\d+|video\/\d+)/ },
  { name: 'Dailymotion', host: /(^|\.)dailymotion\.com$/, videoPath: /^\/video\// },
  { name: 'Twitch', host: /(^|\.)twitch\.tv$/, videoPath: /^\/(videos\/\d+|\w+\/clip\/)/ },
  { name: 'Loom', host: /(^|\.)loom\.com$/, videoPath: /^\/share\// },
];

/** Match patterns of the known sites: the content script runs there without any click. */
export const KNOWN_SITE_MATCHES = [
  '*://*.youtube.com/*',
  '*://youtu.be/*',
  '*://*.vimeo.com/*',
  '*://*.dailymotion.com/*',
  '*://*.twitch.tv/*',
  '*://*.loom.com/*',
];

export function knownSiteOf(url: string): KnownSite | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  return KNOWN_SITES.find((s) => s.host.test(u.hostname) && s.videoPath.test(u.pathname)) ?? null;
}

/** The minimum of HTMLVideoElement this reads (so tests can pass plain objects). */
export interface VideoLike {
  currentSrc?: string;
  src?: string;
  currentTime: number;
  duration: number;
  paused: boolean;
  title?: string;
  getAttribute?(name: string): string | null;
  querySelectorAll?(selector: string): ArrayLike<{ src?: string; getAttribute?(name: string): string | null }>;
}

function httpUrl(raw: string | null | undefined, base: string): string | null {
  if (!raw) return null;
  try {
    const u = new URL(raw, base);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

const finite = (n: number): number | null => (Number.isFinite(n) && n >= 0 ? n : null);

export function videoSource(video: VideoLike, base: string): string | null {
  const direct = httpUrl(video.currentSrc, base) ?? httpUrl(video.src, base);
  if (direct) return direct;
  const sources = video.querySelectorAll?.('source') ?? [];
  for (let i = 0; i < sources.length; i++) {
    const s = sources[i];
    const url = httpUrl(s?.src ?? s?.getAttribute?.('src'), base);
    if (url) return url;
  }
  return null;
}

export function scanPage(input: { url: string; title: string; videos: ArrayLike<VideoLike> }): PageScan {
  const site = knownSiteOf(input.url);
  const found: PageVideo[] = [];
  const seen = new Set<string>();
  const title = input.title.slice(0, 300);
  for (let i = 0; i < input.videos.length && found.length < 40; i++) {
    const video = input.videos[i];
    if (!video) continue;
    const url = videoSource(video, input.url);
    if (!url || seen.has(url)) continue;
    seen.add(url);
    const label = (video.title || video.getAttribute?.('aria-label') || '').trim();
    found.push({
      id: `v${i}`,
      url,
      kind: 'media',
      title: (label || (input.videos.length > 1 ? `${title} — video ${found.length + 1}` : title) || url).slice(0, 300),
      currentTime: finite(video.currentTime),
      duration: finite(video.duration),
      paused: video.paused,
    });
  }
  if (site) {
    // On a known site the page URL is the source (the player streams through MediaSource).
    const player = input.videos[0];
    found.unshift({
      id: 'page',
      url: input.url,
      kind: 'page',
      title: title || `${site.name} video`,
      currentTime: player ? finite(player.currentTime) : null,
      duration: player ? finite(player.duration) : null,
      paused: player ? player.paused : true,
    });
  }
  return { pageUrl: input.url, pageTitle: title, site: site?.name ?? null, videos: found };
}

/** "The 10 minutes around now": centred on the current time, clamped to the video. */
export function rangeAround(currentTime: number | null, duration: number | null, minutes = 10): { startSeconds: number; endSeconds: number } | null {
  if (currentTime === null) return null;
  const half = (minutes * 60) / 2;
  let start = Math.max(0, currentTime - half);
  let end = currentTime + half;
  if (duration !== null && duration > 0) {
    end = Math.min(duration, end);
    start = Math.max(0, Math.min(start, end - minutes * 60));
  }
  start = Math.floor(start);
  end = Math.ceil(end);
  return end > start ? { startSeconds: start, endSeconds: end } : null;
}
