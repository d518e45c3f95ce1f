import { AuthError } from './errors.ts';
import { tokenExpiry } from './jwt.ts';
import type { SocialProvider } from './config.ts';
import type { Tokens } from './types.ts';

/** PKCE (RFC 7636) helpers for the Cognito hosted UI: authorization code flow with S256. */

function base64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function randomString(byteLength = 32): string {
  const bytes = new Uint8Array(byteLength);
  globalThis.crypto.getRandomValues(bytes);
  return base64Url(bytes);
}

/** S256 code challenge of a verifier. */
export async function codeChallenge(verifier: string): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64Url(new Uint8Array(digest));
}

export interface PkcePair {
  verifier: string;
  challenge: string;
  state: string;
}

export async function createPkcePair(): Promise<PkcePair> {
  const verifier = randomString(48); // 64 characters, within RFC 7636's 43–128
  return { verifier, challenge: await codeChallenge(verifier), state: randomString(16) };
}

function hostedUiBase(domain: string): string {
  return domain.startsWith('http://') || domain.startsWith('https://') ? domain.replace(/\/$/, '') : `https://${domain}`;
}

/** The hosted UI authorize URL; with `provider` it goes straight to Google/Facebook. */
export function authorizeUrl(input: {
  domain: string;
  clientId: string;
  redirectUri: string;
  challenge: string;
  state: string;
  provider?: SocialProvider;
  scopes?: string[];
}): string {
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: input.clientId,
    redirect_uri: input.redirectUri,
    code_challenge: input.challenge,
    code_challenge_method: 'S256',
    state: input.state,
    scope: (input.scopes ?? ['openid', 'email', 'profile']).join(' '),
  });
  if (input.provider) params.set('identity_provider', input.provider);
  return `${hostedUiBase(input.domain)}/oauth2/authorize?${params.toString()}`;
}

/** Exchanges the authorization code for tokens at the hosted UI's token endpoint. */
export async function exchangeCode(input: {
  domain: string;
  clientId: string;
  redirectUri: string;
  code: string;
  verifier: string;
  fetch?: typeof globalThis.fetch;
  now?: () => number;
}): Promise<Tokens> {
  const doFetch = input.fetch ?? globalThis.fetch;
  const res = await doFetch(`${hostedUiBase(input.domain)}/oauth2/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: input.clientId,
      redirect_uri: input.redirectUri,
      code: input.code,
      code_verifier: input.verifier,
    }).toString(),
  });
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) throw new AuthError(String(body.error ?? 'invalid_grant'), String(body.error_description ?? body.error ?? 'Token exchange failed'), res.status);
  const { access_token, id_token, refresh_token, expires_in } = body;
  if (typeof access_token !== 'string' || typeof id_token !== 'string' || typeof refresh_token !== 'string') {
    throw new AuthError('InvalidResponse', 'The token endpoint returned no tokens', 502);
  }
  const now = input.now ?? (() => Date.now());
  const expiresAt = tokenExpiry(access_token) || now() + (typeof expires_in === 'number' ? expires_in : 3600) * 1000;
  return { accessToken: access_token, idToken: id_token, refreshToken: refresh_token, expiresAt };
}
