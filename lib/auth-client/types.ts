/**
 * Shared front-end authentication types (browser-safe: no node imports).
 * Used by the portal's server (cookie session) and by the extension (session storage).
 */

/** The tokens Cognito issues. `expiresAt` is the access token's expiry in epoch milliseconds. */
export interface Tokens {
  accessToken: string;
  idToken: string;
  refreshToken: string;
  expiresAt: number;
}

/** What a client knows about the signed-in user (from the verified-by-the-API tokens' claims). */
export interface User {
  sub: string;
  email: string;
  name?: string;
  groups: string[];
}

export interface Session {
  user: User;
  tokens: Tokens;
}

/**
 * Where a client keeps its tokens. The portal implements it over its encrypted cookie session,
 * the extension over chrome.storage.session, tests over memory.
 */
export interface TokenStorage {
  get(): Promise<Tokens | null> | Tokens | null;
  set(tokens: Tokens): Promise<void> | void;
  clear(): Promise<void> | void;
}

/** A sign-in either yields tokens or asks for the TOTP code. */
export type SignInResult =
  | { kind: 'tokens'; tokens: Tokens }
  | { kind: 'mfa'; challenge: 'SOFTWARE_TOKEN_MFA'; session: string };

export type Role = 'admin' | 'support' | (string & {});

/** In-memory storage (tests, and a fallback for short-lived processes). */
export function memoryTokenStorage(initial: Tokens | null = null): TokenStorage & { current(): Tokens | null } {
  let tokens = initial;
  return {
    get: () => tokens,
    set: (t) => {
      tokens = t;
    },
    clear: () => {
      tokens = null;
    },
    current: () => tokens,
  };
}
