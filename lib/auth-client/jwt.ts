import type { User } from './types.ts';

/**
 * Reads a JWT's claims WITHOUT verifying it. Clients use this only to learn the expiry and the
 * display profile of tokens they just received from Cognito; the API verifies every token itself.
 */
export function decodeJwtPayload(token: string): Record<string, unknown> {
  const parts = token.split('.');
  const payload = parts[1];
  if (parts.length !== 3 || !payload) throw new Error('Malformed token');
  const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
  const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
  const binary = atob(padded);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  const json: unknown = JSON.parse(new TextDecoder().decode(bytes));
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new Error('Malformed token');
  return json as Record<string, unknown>;
}

/** Expiry of a token in epoch milliseconds (0 when it has none). */
export function tokenExpiry(token: string): number {
  const exp = decodeJwtPayload(token).exp;
  return typeof exp === 'number' ? exp * 1000 : 0;
}

/** The user described by an ID token (falls back to the access token's claims for groups). */
export function userFromTokens(idToken: string, accessToken?: string): User {
  const id = decodeJwtPayload(idToken);
  const access = accessToken ? decodeJwtPayload(accessToken) : {};
  const groupsClaim = id['cognito:groups'] ?? access['cognito:groups'];
  const groups = Array.isArray(groupsClaim) ? groupsClaim.filter((g): g is string => typeof g === 'string') : [];
  const sub = typeof id.sub === 'string' ? id.sub : '';
  if (!sub) throw new Error('Token has no subject');
  return {
    sub,
    email: typeof id.email === 'string' ? id.email : '',
    ...(typeof id.name === 'string' && id.name ? { name: id.name } : {}),
    groups,
  };
}
