import { describe, expect, test } from '@jest/globals';
import { SessionHandle, cookieOptionsFor, parseCookies, seal, unseal } from '../../../web/app/lib/session.server.ts';
import { allowedOriginsFor, checkCsrf } from '../../../web/app/lib/csrf.server.ts';

const secret = 'unit-test-secret-unit-test-secret-0123456789';
const opts = { name: 'cf_session', secure: false, secret };
const bigTokens = { accessToken: 'a'.repeat(1200), idToken: 'i'.repeat(1300), refreshToken: 'r'.repeat(1800), expiresAt: 1 };

function requestWith(setCookies: string[]): Request {
  const cookie = setCookies.map((c) => c.split(';')[0]).filter((c) => !c?.endsWith('=')).join('; ');
  return new Request('http://portal.test/x', { headers: { Cookie: cookie } });
}

describe('encrypted cookie session', () => {
  test('seal/unseal round-trips; tampering, a wrong key or expiry yield nothing', () => {
    const sealed = seal({ pendingEmail: 'a@b.co' }, secret);
    expect(unseal(sealed, secret)).toEqual({ pendingEmail: 'a@b.co' });
    expect(sealed).not.toContain('a@b.co');
    const flipped = sealed.slice(0, 40) + (sealed[40] === 'A' ? 'B' : 'A') + sealed.slice(41);
    expect(unseal(flipped, secret)).toBeNull();
    expect(unseal(sealed, secret + 'x')).toBeNull();
    expect(unseal(sealed, secret, Date.now() + 31 * 86_400_000)).toBeNull();
    expect(unseal('garbage', secret)).toBeNull();
  });

  test('large token sets are split into chunks below the 4 KB cookie limit and read back', () => {
    const h = SessionHandle.fromRequest(new Request('http://portal.test/'), opts);
    h.set('tokens', bigTokens);
    const cookies = h.setCookieHeaders();
    expect(cookies.length).toBeGreaterThan(1);
    for (const c of cookies) {
      expect(c.length).toBeLessThan(4000);
      expect(c).toMatch(/; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+$/);
    }
    const again = SessionHandle.fromRequest(requestWith(cookies), opts);
    expect(again.get('tokens')).toEqual(bigTokens);
    expect(again.dirty).toBe(false);
  });

  test('destroy clears every chunk; flash is read once', () => {
    const h = SessionHandle.fromRequest(new Request('http://portal.test/'), opts);
    h.set('tokens', bigTokens);
    const cookies = h.setCookieHeaders();
    const read = SessionHandle.fromRequest(requestWith(cookies), opts);
    read.destroy();
    const cleared = read.setCookieHeaders();
    expect(cleared).toHaveLength(cookies.length);
    expect(cleared.every((c) => c.includes('Max-Age=0'))).toBe(true);

    const f = SessionHandle.fromRequest(new Request('http://portal.test/'), opts);
    f.flash('success', 'Saved');
    const next = SessionHandle.fromRequest(requestWith(f.setCookieHeaders()), opts);
    expect(next.takeFlash()).toEqual({ kind: 'success', message: 'Saved' });
    expect(next.takeFlash()).toBeUndefined();
  });

  test('deployed stages use a __Host- Secure cookie; a tampered cookie is cleared', () => {
    expect(cookieOptionsFor({ isLocal: false, SESSION_SECRET: secret })).toEqual({ name: '__Host-cf_session', secure: true, secret });
    const h = SessionHandle.fromRequest(new Request('http://portal.test/'), { ...opts, name: '__Host-cf_session', secure: true });
    h.set('pendingEmail', 'x@y.z');
    expect(h.setCookieHeaders()[0]).toMatch(/^__Host-cf_session=.*; Secure; Max-Age/);
    const bad = SessionHandle.fromRequest(new Request('http://portal.test/', { headers: { Cookie: 'cf_session=tampered' } }), opts);
    expect(bad.get('tokens')).toBeUndefined();
    expect(bad.dirty).toBe(true);
    expect(bad.setCookieHeaders()).toEqual(['cf_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0']);
  });

  test('parseCookies keeps the first value of a name', () => {
    expect(parseCookies('a=1; b=2; a=3')).toEqual(new Map([['a', '1'], ['b', '2']]));
  });
});

describe('CSRF check', () => {
  const allowed = ['http://portal.test', 'https://app.example.com'];
  const post = (headers: Record<string, string>) => new Request('http://portal.test/signout', { method: 'POST', headers });

  test.each([
    ['same origin', { Origin: 'http://portal.test', 'Sec-Fetch-Site': 'same-origin' }, true],
    ['configured public origin', { Origin: 'https://app.example.com' }, true],
    ['Sec-Fetch-Site same-origin without Origin', { 'Sec-Fetch-Site': 'same-origin' }, true],
    ['cross-site', { Origin: 'http://evil.test', 'Sec-Fetch-Site': 'cross-site' }, false],
    ['same-site sibling', { Origin: 'http://a.portal.test', 'Sec-Fetch-Site': 'same-site' }, false],
    ['foreign origin without fetch metadata', { Origin: 'http://evil.test' }, false],
    ['null origin (sandboxed frame)', { Origin: 'null' }, false],
    ['no headers at all', {}, false],
  ])('%s', (_name, headers, ok) => {
    expect(checkCsrf(post(headers as Record<string, string>), allowed).ok).toBe(ok);
  });

  test('safe methods pass; allowed origins include the request and the public URL', () => {
    expect(checkCsrf(new Request('http://portal.test/x', { headers: { 'Sec-Fetch-Site': 'cross-site' } }), allowed).ok).toBe(true);
    expect(allowedOriginsFor(new Request('http://127.0.0.1:5173/x'), 'http://localhost:5173/')).toEqual(['http://127.0.0.1:5173', 'http://localhost:5173']);
  });
});
