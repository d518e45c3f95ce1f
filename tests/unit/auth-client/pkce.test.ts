import { createHash } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import { authorizeUrl, codeChallenge, createPkcePair, exchangeCode } from '../../../lib/auth-client/index.ts';
import { fakeJwt } from './helpers.ts';

describe('PKCE helpers', () => {
  test('S256 challenge = base64url(SHA-256(verifier)), checked against node:crypto', async () => {
    for (const verifier of ['dBjftJeZ4CVP-mJ92IZjGrKvVRFT3ZeAcvnZmGqAvnr', 'a'.repeat(43), 'Z_-9'.repeat(32)]) {
      expect(await codeChallenge(verifier)).toBe(createHash('sha256').update(verifier).digest('base64url'));
    }
  });

  test('pairs are random, URL-safe and of a valid length', async () => {
    const a = await createPkcePair();
    const b = await createPkcePair();
    expect(a.verifier).not.toBe(b.verifier);
    expect(a.verifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    expect(a.challenge).toBe(await codeChallenge(a.verifier));
  });

  test('authorize URL targets the hosted UI with S256 and the provider', () => {
    const url = new URL(authorizeUrl({ domain: 'x.auth.us-east-1.amazoncognito.com', clientId: 'c', redirectUri: 'https://app/auth/callback', challenge: 'ch', state: 'st', provider: 'Google' }));
    expect(url.origin + url.pathname).toBe('https://x.auth.us-east-1.amazoncognito.com/oauth2/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code', client_id: 'c', redirect_uri: 'https://app/auth/callback', code_challenge: 'ch', code_challenge_method: 'S256', state: 'st', scope: 'openid email profile', identity_provider: 'Google',
    });
  });

  test('code exchange posts the verifier and returns tokens; errors are AuthErrors', async () => {
    const exp = Math.floor(Date.now() / 1000) + 3600;
    let sent = '';
    const ok = (async (_u: unknown, init?: RequestInit) => {
      sent = String(init?.body);
      return new Response(JSON.stringify({ access_token: fakeJwt({ sub: 's', exp }), id_token: fakeJwt({ sub: 's', exp }), refresh_token: 'r', expires_in: 3600 }), { status: 200 });
    }) as typeof fetch;
    const tokens = await exchangeCode({ domain: 'd.example', clientId: 'c', redirectUri: 'https://app/cb', code: 'code1', verifier: 'v1', fetch: ok });
    expect(tokens).toMatchObject({ refreshToken: 'r', expiresAt: exp * 1000 });
    expect(Object.fromEntries(new URLSearchParams(sent))).toEqual({ grant_type: 'authorization_code', client_id: 'c', redirect_uri: 'https://app/cb', code: 'code1', code_verifier: 'v1' });
    const bad = (async () => new Response(JSON.stringify({ error: 'invalid_grant' }), { status: 400 })) as typeof fetch;
    await expect(exchangeCode({ domain: 'd.example', clientId: 'c', redirectUri: 'x', code: 'c', verifier: 'v', fetch: bad })).rejects.toMatchObject({ code: 'invalid_grant', status: 400 });
  });
});
