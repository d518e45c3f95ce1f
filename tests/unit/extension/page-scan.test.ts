import { describe, expect, it } from '@jest/globals';
import { ExtensionConfigError, isLocalBuild, originPattern, parseExtensionConfig } from '../../../extension/utils/config.ts';
import { knownSiteOf, rangeAround, scanPage, type VideoLike } from '../../../extension/utils/page-scan.ts';
import { pageScanSchema } from '../../../lib/contracts/extension-messages.ts';

const video = (over: Partial<VideoLike>): VideoLike => ({ currentSrc: '', src: '', currentTime: 0, duration: NaN, paused: true, ...over });

describe('scanPage', () => {
  it('lists <video> elements with http(s) sources only, with current time and duration', () => {
    const scan = scanPage({
      url: 'http://127.0.0.1:4000/watch.html',
      title: 'Demo page',
      videos: [
        video({ currentSrc: 'http://127.0.0.1:4000/media/talk.mp4', currentTime: 42.5, duration: 120, paused: false }),
        video({ currentSrc: 'blob:http://127.0.0.1:4000/1234' }),
        video({ src: 'data:video/mp4;base64,AAAA' }),
        video({ src: '', querySelectorAll: () => [{ getAttribute: () => 'clips/second.webm' }] }),
        video({ currentSrc: 'http://127.0.0.1:4000/media/talk.mp4' }), // duplicate
      ],
    });
    expect(pageScanSchema.parse(scan)).toEqual(scan);
    expect(scan.site).toBeNull();
    expect(scan.videos.map((v) => [v.id, v.url, v.kind])).toEqual([
      ['v0', 'http://127.0.0.1:4000/media/talk.mp4', 'media'],
      ['v3', 'http://127.0.0.1:4000/clips/second.webm', 'media'],
    ]);
    expect(scan.videos[0]).toMatchObject({ currentTime: 42.5, duration: 120, paused: false, title: 'Demo page — video 1' });
    expect(scan.videos[1]).toMatchObject({ currentTime: 0, duration: null });
  });

  it('uses the page URL on known video sites, where the player streams from a blob', () => {
    const scan = scanPage({
      url: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ',
      title: 'A talk - YouTube',
      videos: [video({ currentSrc: 'blob:https://www.youtube.com/abc', currentTime: 61, duration: 3600, paused: false })],
    });
    expect(scan.site).toBe('YouTube');
    expect(scan.videos).toEqual([
      { id: 'page', url: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ', kind: 'page', title: 'A talk - YouTube', currentTime: 61, duration: 3600, paused: false },
    ]);
  });

  it('knows video pages from other pages of the same sites', () => {
    expect(knownSiteOf('https://vimeo.com/123456')?.name).toBe('Vimeo');
    expect(knownSiteOf('https://www.youtube.com/feed/subscriptions')).toBeNull();
    expect(knownSiteOf('https://youtube.com.evil.example/watch?v=1')).toBeNull();
    expect(knownSiteOf('not a url')).toBeNull();
  });
});

describe('rangeAround ("10 minutes around now")', () => {
  it('centres on the current time', () => expect(rangeAround(1200, 3600)).toEqual({ startSeconds: 900, endSeconds: 1500 }));
  it('clamps at the start', () => expect(rangeAround(60, 3600)).toEqual({ startSeconds: 0, endSeconds: 360 }));
  it('keeps 10 minutes when near the end', () => expect(rangeAround(3590, 3600)).toEqual({ startSeconds: 3000, endSeconds: 3600 }));
  it('covers a short video whole', () => expect(rangeAround(30, 90)).toEqual({ startSeconds: 0, endSeconds: 90 }));
  it('works for live streams without a duration', () => expect(rangeAround(1000, null)).toEqual({ startSeconds: 700, endSeconds: 1300 }));
  it('needs a current time', () => expect(rangeAround(null, 100)).toBeNull());
});

describe('extension configuration (WXT_ variables only)', () => {
  const env = {
    WXT_API_URL: 'https://api.example.com/',
    WXT_WS_URL: 'wss://ws.example.com/prod',
    WXT_USER_POOL_ID: 'eu-west-1_AbCd',
    WXT_USER_POOL_CLIENT_ID: 'abc',
    WXT_PORTAL_URL: 'https://app.example.com',
    WXT_AUTH_DOMAIN: 'clipforge.auth.eu-west-1.amazoncognito.com',
  };
  it('parses a stage and derives the region from the pool id', () => {
    const c = parseExtensionConfig(env);
    expect(c.apiUrl).toBe('https://api.example.com');
    expect(c.auth.region).toBe('eu-west-1');
    expect(c.auth.endpoint).toBeUndefined();
    expect(c.authDomain).toBe('https://clipforge.auth.eu-west-1.amazoncognito.com');
  });
  it('names the missing or bad variables', () => {
    expect(() => parseExtensionConfig({ ...env, WXT_API_URL: '', WXT_WS_URL: 'https://nope' })).toThrow(ExtensionConfigError);
    expect(() => parseExtensionConfig({ ...env, WXT_API_URL: '' })).toThrow(/WXT_API_URL/);
    expect(() => parseExtensionConfig({ ...env, WXT_WS_URL: 'https://nope' })).toThrow(/WXT_WS_URL/);
    expect(() => parseExtensionConfig({ ...env, WXT_USER_POOL_CLIENT_ID: undefined })).toThrow(/WXT_USER_POOL_CLIENT_ID/);
  });
  it('turns URLs into host permission patterns and spots local builds', () => {
    expect(originPattern('http://127.0.0.1:3000/x')).toBe('http://127.0.0.1/*');
    expect(originPattern('https://api.example.com')).toBe('https://api.example.com/*');
    expect(isLocalBuild('http://127.0.0.1:3000')).toBe(true);
    expect(isLocalBuild('https://api.example.com')).toBe(false);
    expect(isLocalBuild(undefined)).toBe(false);
  });
});
