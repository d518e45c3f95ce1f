import type { FetchLike } from './cognito.ts';
import { AuthError, SESSION_OVER_CODES } from './errors.ts';
import { userFromTokens } from './jwt.ts';
import type { Session, TokenStorage, Tokens } from './types.ts';

/**
 * Runs at most one promise per key at a time: concurrent callers with the same key share it.
 * Share one instance between SessionManagers (e.g. one per request on a server) to make them
 * share refreshes of the same refresh token.
 */
export function createSingleFlight<T>() {
  const inflight = new Map<string, Promise<T>>();
  return {
    run(key: string, fn: () => Promise<T>): Promise<T> {
      const existing = inflight.get(key);
      if (existing) return existing;
      const p = fn().finally(() => inflight.delete(key));
      inflight.set(key, p);
      return p;
    },
    size: () => inflight.size,
  };
}
export type SingleFlight<T> = ReturnType<typeof createSingleFlight<T>>;

export type SessionEvent =
  | { type: 'signed-in'; session: Session }
  | { type: 'refreshed'; session: Session }
  | { type: 'signed-out' }
  /** The refresh token was rejected: the user has to sign in again. */
  | { type: 'expired'; reason: string };

export interface SessionClient {
  refresh(refreshToken: string): Promise<Tokens>;
  /** Sign-out. The access token is given to clients that revoke through the API. */
  revokeToken(refreshToken: string, accessToken?: string): Promise<void>;
}

/**
 * Sign-out through the API's POST /auth/logout: it revokes the refresh token at Cognito AND records
 * the session as signed out, so its access tokens stop working at the API at once instead of when
 * they expire. When the API refuses (the access token already expired → 401) or cannot be
 * reached, falls back to Cognito's RevokeToken, so signing out never depends on the API.
 */
export function signOutThroughApi<C extends SessionClient>(
  client: C,
  api: { url: string; fetch?: FetchLike; timeoutMs?: number },
): Omit<C, 'revokeToken'> & Pick<SessionClient, 'revokeToken'> {
  const doFetch = api.fetch ?? ((input, init) => globalThis.fetch(input, init));
  return {
    ...client,
    async revokeToken(refreshToken: string, accessToken?: string): Promise<void> {
      if (accessToken) {
        try {
          const call = doFetch(`${api.url.replace(/\/+$/, '')}/auth/logout`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
            body: JSON.stringify({ refreshToken }),
          });
          // A hung API must not hang sign-out: after a few seconds Cognito is asked directly.
          let timer: ReturnType<typeof setTimeout> | undefined;
          const timeout = new Promise<{ status: number }>((resolve) => {
            timer = setTimeout(() => resolve({ status: 0 }), api.timeoutMs ?? 5000);
          });
          const res = await Promise.race([call, timeout]).finally(() => clearTimeout(timer));
          if (res.status === 204) return;
        } catch {
          // Unreachable API: Cognito below still revokes the refresh token.
        }
      }
      await client.revokeToken(refreshToken);
    },
  };
}

export interface SessionManagerOptions {
  storage: TokenStorage;
  /**
   * Anything with Cognito's refresh/revoke calls (createCognitoClient satisfies it; wrap it with
   * `signOutThroughApi` so sign-out also ends the session's access tokens at the API).
   */
  client: SessionClient;
  /** Refresh when the access token expires within this many seconds. */
  refreshMarginSeconds?: number;
  now?: () => number;
  flights?: SingleFlight<Tokens | null>;
}

/**
 * Owns a client's tokens: hands out a valid access token, refreshing it shortly before expiry with
 * a single in-flight refresh shared by concurrent callers, and reports session changes and expiry.
 */
export class SessionManager {
  readonly #storage: TokenStorage;
  readonly #client: SessionManagerOptions['client'];
  readonly #marginMs: number;
  readonly #now: () => number;
  readonly #flights: SingleFlight<Tokens | null>;
  readonly #listeners = new Set<(event: SessionEvent) => void>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: SessionManagerOptions) {
    this.#storage = options.storage;
    this.#client = options.client;
    this.#marginMs = (options.refreshMarginSeconds ?? 120) * 1000;
    this.#now = options.now ?? (() => Date.now());
    this.#flights = options.flights ?? createSingleFlight<Tokens | null>();
  }

  /** Subscribe to session events; returns the unsubscribe function. */
  on(listener: (event: SessionEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(event: SessionEvent): void {
    for (const l of [...this.#listeners]) {
      try {
        l(event);
      } catch {
        // A failing listener must not break the session.
      }
    }
  }

  /** Store tokens from a completed sign-in. */
  async signIn(tokens: Tokens): Promise<Session> {
    await this.#storage.set(tokens);
    const session = { user: userFromTokens(tokens.idToken, tokens.accessToken), tokens };
    this.#emit({ type: 'signed-in', session });
    return session;
  }

  needsRefresh(tokens: Tokens): boolean {
    return tokens.expiresAt - this.#now() <= this.#marginMs;
  }

  /**
   * The current session with an access token valid for at least the margin, refreshing if needed.
   * Null when signed out or when the refresh token was rejected (an `expired` event is emitted).
   * Network failures during a refresh are thrown (the session is kept for a retry).
   */
  async getSession(): Promise<Session | null> {
    const tokens = await this.#storage.get();
    if (!tokens) return null;
    const fresh = this.needsRefresh(tokens) ? await this.refresh(tokens) : tokens;
    if (!fresh) return null;
    return { user: userFromTokens(fresh.idToken, fresh.accessToken), tokens: fresh };
  }

  async getAccessToken(): Promise<string | null> {
    return (await this.getSession())?.tokens.accessToken ?? null;
  }

  /** Refresh now (single flight per refresh token). */
  refresh(current?: Tokens): Promise<Tokens | null> {
    return (async () => {
      const tokens = current ?? (await this.#storage.get());
      if (!tokens) return null;
      return this.#flights.run(tokens.refreshToken, async () => {
        try {
          const next = await this.#client.refresh(tokens.refreshToken);
          await this.#storage.set(next);
          this.#emit({ type: 'refreshed', session: { user: userFromTokens(next.idToken, next.accessToken), tokens: next } });
          return next;
        } catch (e) {
          if (e instanceof AuthError && SESSION_OVER_CODES.has(e.code)) {
            await this.#storage.clear();
            this.#emit({ type: 'expired', reason: e.message });
            return null;
          }
          throw e;
        }
      });
    })();
  }

  /** Sign out: revoke the refresh token (best effort) and forget the tokens. */
  async signOut(): Promise<void> {
    const tokens = await this.#storage.get();
    this.stopAutoRefresh();
    await this.#storage.clear();
    if (tokens) {
      try {
        await this.#client.revokeToken(tokens.refreshToken, tokens.accessToken);
      } catch {
        // The tokens are gone locally either way; an unreachable Cognito must not trap the user.
      }
    }
    this.#emit({ type: 'signed-out' });
  }

  /**
   * For long-lived clients (extension, SPA): keep the session fresh with a timer that refreshes
   * the margin before expiry. Servers refresh lazily in getSession() instead.
   */
  async startAutoRefresh(): Promise<void> {
    this.stopAutoRefresh();
    const tokens = await this.#storage.get();
    if (!tokens) return;
    const delay = Math.max(0, tokens.expiresAt - this.#marginMs - this.#now());
    this.#timer = setTimeout(() => {
      this.refresh()
        .then((next) => (next ? this.startAutoRefresh() : undefined))
        .catch(() => {
          // Offline: try again in a minute.
          this.#timer = setTimeout(() => void this.startAutoRefresh(), 60_000);
        });
    }, delay);
  }

  stopAutoRefresh(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
