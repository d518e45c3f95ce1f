import { describe, expect, test } from '@jest/globals';
import { fillDaily, previewChange } from '../../../web/app/lib/billing.ts';
import { formatMoney, parseClock } from '../../../web/app/components/format.ts';
import { streamToParts } from '../../../web/app/lib/upload.server.ts';
import { parsePortalEnv, publicEnv } from '../../../web/app/lib/env.server.ts';
import { parseJobForm, parseRangeFields } from '../../../web/app/routes/jobs.new.server.ts';

describe('billing helpers', () => {
  test('fillDaily gives one point per day up to today, keeping API values', () => {
    const out = fillDaily({ start: '2026-11-01T00:00:00.000Z', end: '2026-12-01T00:00:00.000Z' }, [{ date: '2026-11-03', spent: 4, granted: 0 }, { date: '2026-11-01', spent: 0, granted: 100 }], new Date('2026-11-05T12:00:00Z'));
    expect(out.map((d) => d.date)).toEqual(['2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04', '2026-11-05']);
    expect(out[0]).toEqual({ date: '2026-11-01', spent: 0, granted: 100 });
    expect(out[2]?.spent).toBe(4);
  });

  test('upgrade applies now with the remaining share prorated; downgrade waits for the period end', () => {
    const now = new Date('2026-11-16T00:00:00Z');
    const up = previewChange({ from: 'basic', to: 'pro', currentPeriodEnd: '2026-12-01T00:00:00Z', interval: 'month', creditsFrom: 100, creditsTo: 400, now });
    expect(up).toMatchObject({ direction: 'upgrade', effective: 'now', daysLeft: 15, remainingFraction: 0.5, creditsFrom: 100, creditsTo: 400 });
    const down = previewChange({ from: 'pro', to: 'basic', currentPeriodEnd: '2026-12-01T00:00:00Z', interval: 'month', creditsFrom: 400, creditsTo: 100, now });
    expect(down).toMatchObject({ direction: 'downgrade', effective: 'period_end' });
  });
});

describe('formatMoney', () => {
  test('minor units of the currency, with its symbol and decimals', () => {
    expect(formatMoney(1350, 'usd')).toBe('$13.50');
    expect(formatMoney(-600, 'usd')).toBe('-$6.00');
    expect(formatMoney(0, 'usd')).toBe('$0.00');
    expect(formatMoney(1200, 'eur')).toBe('€12.00');
    expect(formatMoney(500, 'jpy')).toBe('¥500'); // no minor unit
  });
});

describe('job form → createJob contract', () => {
  test('only part of the video: times as seconds, m:ss or h:mm:ss; both empty = whole video', () => {
    expect([parseClock('90'), parseClock('1:30'), parseClock('1:02:03'), parseClock('12:75'), parseClock('abc')]).toEqual([90, 90, 3723, undefined, undefined]);
    expect(parseRangeFields({})).toEqual({});
    expect(parseRangeFields({ rangeFrom: '12:00', rangeTo: '22:00' })).toEqual({ range: { startSeconds: 720, endSeconds: 1320 } });
    expect(parseRangeFields({ rangeTo: '5:00' })).toEqual({ range: { startSeconds: 0, endSeconds: 300 } });
    expect(parseRangeFields({ rangeFrom: '5:00' }).errors).toEqual({ rangeTo: ['Enter where the part ends'] });
    expect(parseRangeFields({ rangeFrom: 'soon', rangeTo: '5:00' }).errors?.rangeFrom?.[0]).toMatch(/12:30/);
    const r = parseJobForm({ source: 'url', url: 'https://media.test/talk.mp4', rangeFrom: '1:00', rangeTo: '3:00' });
    expect(r.success && r.data.range).toEqual({ startSeconds: 60, endSeconds: 180 });
    const reversed = parseJobForm({ source: 'url', url: 'https://media.test/talk.mp4', rangeFrom: '3:00', rangeTo: '1:00' });
    expect(reversed.success).toBe(false);
    expect(reversed.error?.issues[0]?.path).toEqual(['range', 'endSeconds']);
  });

  test('a URL job with options', () => {
    const r = parseJobForm({ source: 'url', url: ' https://media.test/talk.mp4 ', clipCount: '2', minSeconds: '5', maxSeconds: '20', aspect: '9:16', captions: 'on', language: 'en' });
    expect(r.success && r.data).toEqual({ url: 'https://media.test/talk.mp4', options: { clipCount: 2, minSeconds: 5, maxSeconds: 20, aspect: '9:16', captions: true, language: 'en' } });
  });

  test('bad input is refused with the contract messages', () => {
    expect(parseJobForm({ source: 'url', url: 'ftp://x' }).success).toBe(false);
    expect(parseJobForm({ source: 'file', uploadKey: '' }).success).toBe(false);
    const r = parseJobForm({ source: 'url', url: 'https://m.test/a.mp4', minSeconds: '50', maxSeconds: '10' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['options', 'minSeconds']);
    expect(parseJobForm({ source: 'url', url: 'https://m.test/a.mp4', clipCount: '99' }).success).toBe(false);
  });
});

describe('upload streaming into multipart parts', () => {
  test('splits the body into partSize parts and returns their ETags in order', async () => {
    const bytes = new Uint8Array(25).map((_, i) => i);
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes.subarray(0, 7));
        c.enqueue(bytes.subarray(7, 25));
        c.close();
      },
    });
    const sent: { url: string; body: number[] }[] = [];
    const fakeFetch = (async (url: string | URL | Request, init?: RequestInit) => {
      sent.push({ url: String(url), body: [...new Uint8Array(init?.body as ArrayBuffer)] });
      return new Response(null, { status: 200, headers: { ETag: `"etag-${sent.length}"` } });
    }) as typeof fetch;
    const urls = [1, 2, 3].map((n) => ({ partNumber: n, url: `http://s3.test/part${n}` }));
    const parts = await streamToParts(body, 10, urls, 'video/mp4', fakeFetch);
    expect(parts).toEqual([{ partNumber: 1, etag: '"etag-1"' }, { partNumber: 2, etag: '"etag-2"' }, { partNumber: 3, etag: '"etag-3"' }]);
    expect(sent.map((s) => s.body.length)).toEqual([10, 10, 5]);
    expect(sent.flatMap((s) => s.body)).toEqual([...bytes]);
  });

  test('more data than announced parts, or a refused part, fails', async () => {
    const body = () => new ReadableStream<Uint8Array>({ start: (c) => { c.enqueue(new Uint8Array(30)); c.close(); } });
    const ok = (async () => new Response(null, { headers: { ETag: '"e"' } })) as typeof fetch;
    await expect(streamToParts(body(), 10, [{ partNumber: 1, url: 'u' }], 'video/mp4', ok)).rejects.toThrow(/larger than announced/);
    const refused = (async () => new Response(null, { status: 403 })) as typeof fetch;
    await expect(streamToParts(body(), 10, [{ partNumber: 1, url: 'u' }], 'video/mp4', refused)).rejects.toThrow(/refused part 1/);
  });
});

describe('portal environment', () => {
  test('local defaults; only a whitelist reaches the browser', () => {
    const env = parsePortalEnv({ STAGE: 'local', SESSION_SECRET: undefined });
    expect(env.API_URL).toBe('http://localhost:3000');
    expect(env.auth).toMatchObject({ userPoolId: 'local_clipforge', clientId: 'clipforgelocalwebclient', endpoint: 'http://localhost:9229' });
    expect(publicEnv(env)).toEqual({ STAGE: 'local', SOCIAL_PROVIDERS: [] });
    const social = parsePortalEnv({ STAGE: 'local', COGNITO_DOMAIN: 'x.auth.us-east-1.amazoncognito.com', SOCIAL_PROVIDERS: 'Google' });
    expect(publicEnv(social)).toEqual({ STAGE: 'local', SOCIAL_PROVIDERS: ['Google'] });
    expect(JSON.stringify(publicEnv(social))).not.toContain(social.SESSION_SECRET);
  });

  test('deployed stages need a session secret and refuse emulator endpoints', () => {
    expect(() => parsePortalEnv({ STAGE: 'prod', USER_POOL_ID: 'us-east-1_x', USER_POOL_CLIENT_ID: 'c' })).toThrow(/SESSION_SECRET/);
    expect(() => parsePortalEnv({ STAGE: 'prod', SESSION_SECRET: 's'.repeat(40), COGNITO_ENDPOINT: 'http://localhost:9229' })).toThrow(/COGNITO_ENDPOINT/);
    expect(parsePortalEnv({ STAGE: 'prod', SESSION_SECRET: 's'.repeat(40), USER_POOL_ID: 'eu-west-1_Ab', USER_POOL_CLIENT_ID: 'c' }).auth.region).toBe('eu-west-1');
  });
});
