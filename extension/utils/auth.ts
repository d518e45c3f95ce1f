import { createCognitoClient, type CognitoClient } from '../../lib/auth-client/cognito.ts';
import { AuthError, authErrorMessage } from '../../lib/auth-client/errors.ts';
import { userFromTokens } from '../../lib/auth-client/jwt.ts';
import { authorizeUrl, createPkcePair, exchangeCode } from '../../lib/auth-client/pkce.ts';
import { SessionManager, signOutThroughApi } from '../../lib/auth-client/session.ts';
import type { Tokens } from '../../lib/auth-client/types.ts';
import type { AuthState } from '../../lib/contracts/extension-messages.ts';
import type { ExtensionConfig } from './config.ts';
import type { BrowserPort, Clock, FetchPort } from './ports.ts';
import { ReplyableError } from './router.ts';
import { EXPIRED_KEY, pendingMfaStore, restrictSessionStorage, sessionTokenStorage } from './session-storage.ts';

export const REFRESH_ALARM = 'clipforge.refresh';

/**
 * The background's authentication: sign-in (password + TOTP), hosted UI (authorization code +
 * PKCE through identity.launchWebAuthFlow), sign-out (RevokeToken) and tokens that stay fresh.
 *
 * Refresh survives service-worker restarts: tokens live in storage.session (which outlives the
 * worker) and the refresh is scheduled with a chrome.alarms alarm (which also outlives it and
 * wakes it up). `resume()` runs at every worker start: it refreshes at once when the access token
 * is (nearly) expired and re-arms the alarm. Every API call goes through `accessToken()`, which
 * refreshes lazily with a single in-flight refresh shared by concurrent callers.
 */
export class ExtensionAuth {
  readonly manager: SessionManager;
  readonly #browser: BrowserPort;
  readonly #config: ExtensionConfig;
  readonly #cognito: CognitoClient;
  readonly #fetch: FetchPort;
  readonly #now: Clock;
  readonly #mfa: ReturnType<typeof pendingMfaStore>;
  readonly #tokens: ReturnType<typeof sessionTokenStorage>;
  readonly #marginMs: number;
  readonly #onChange: (state: AuthState) => void;

  constructor(options: {
    browser: BrowserPort;
    config: ExtensionConfig;
    fetch?: FetchPort;
    now?: Clock;
    onChange?: (state: AuthState) => void;
  }) {
    this.#browser = options.browser;
    this.#config = options.config;
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#now = options.now ?? Date.now;
    this.#onChange = options.onChange ?? (() => {});
    this.#marginMs = options.config.auth.refreshMarginSeconds * 1000;
    this.#cognito = createCognitoClient({
      config: options.config.auth,
      fetch: (input, init) => this.#fetch(input, init),
      now: this.#now,
    });
    this.#mfa = pendingMfaStore(options.browser.storage.session, this.#now);
    this.#tokens = sessionTokenStorage(options.browser.storage.session);
    this.manager = new SessionManager({
      storage: this.#tokens,
      // Sign-out through the API also ends the session's access tokens there (falls back to Cognito).
      client: signOutThroughApi(this.#cognito, { url: options.config.apiUrl, fetch: (input, init) => this.#fetch(input, init) }),
      refreshMarginSeconds: options.config.auth.refreshMarginSeconds,
      now: this.#now,
    });
    this.manager.on((event) => {
      if (event.type === 'expired') void this.#markExpired();
      if (event.type === 'signed-in' || event.type === 'refreshed') void this.#schedule(event.session.tokens);
    });
  }

  /** Call at every worker start, before handling messages. */
  async resume(): Promise<void> {
    await restrictSessionStorage(this.#browser.storage.session);
    const tokens = await this.#tokens.get();
    if (!tokens) return;
    if (this.manager.needsRefresh(tokens)) {
      await this.onAlarm();
      return;
    }
    await this.#schedule(tokens);
  }

  /** The refresh alarm fired (or the worker woke up late): refresh if due, keep the alarm armed. */
  async onAlarm(): Promise<void> {
    try {
      const session = await this.manager.getSession();
      if (session) await this.#schedule(session.tokens);
    } catch {
      // Network trouble: try again in a minute (the session is kept).
      await this.#browser.alarms.create(REFRESH_ALARM, { when: this.#now() + 60_000 });
    }
  }

  async #schedule(tokens: Tokens): Promise<void> {
    const when = Math.max(this.#now() + 30_000, tokens.expiresAt - this.#marginMs);
    await this.#browser.alarms.create(REFRESH_ALARM, { when });
  }

  async #markExpired(): Promise<void> {
    await this.#browser.alarms.clear(REFRESH_ALARM);
    await this.#browser.storage.session.set({ [EXPIRED_KEY]: true });
    this.#onChange(await this.state());
  }

  /** A valid access token, refreshed when close to expiry; throws UNAUTHORIZED when signed out. */
  async accessToken(): Promise<string> {
    let token: string | null;
    try {
      token = await this.manager.getAccessToken();
    } catch (e) {
      throw new ReplyableError('UNAVAILABLE', authErrorMessage(e));
    }
    if (!token) throw new ReplyableError('UNAUTHORIZED', 'Your session has ended. Please sign in again.');
    return token;
  }

  async state(): Promise<AuthState> {
    const hostedUi = Boolean(this.#config.authDomain);
    const portalUrl = this.#config.portalUrl;
    const tokens = await this.#tokens.get();
    if (tokens) {
      const user = userFromTokens(tokens.idToken, tokens.accessToken);
      return { status: 'signedIn', user: { sub: user.sub, email: user.email || null }, expired: false, hostedUi, portalUrl };
    }
    const pending = await this.#mfa.get();
    if (pending) return { status: 'mfaRequired', user: null, expired: false, hostedUi, portalUrl };
    const expired = (await this.#browser.storage.session.get(EXPIRED_KEY))[EXPIRED_KEY] === true;
    return { status: 'signedOut', user: null, expired, hostedUi, portalUrl };
  }

  async #signedIn(tokens: Tokens): Promise<AuthState> {
    await this.#mfa.clear();
    await this.#browser.storage.session.remove(EXPIRED_KEY);
    await this.manager.signIn(tokens);
    const state = await this.state();
    this.#onChange(state);
    return state;
  }

  async signIn(email: string, password: string): Promise<AuthState> {
    try {
      const result = await this.#cognito.signIn({ email, password });
      if (result.kind === 'mfa') {
        await this.#mfa.set(email, result.session);
        return this.state();
      }
      return await this.#signedIn(result.tokens);
    } catch (e) {
      // At sign-in a password-policy answer (cognito-local gives one for a wrong password) only
      // means the password is not this account's.
      if (e instanceof AuthError && e.code === 'InvalidPasswordException') throw new ReplyableError('UNAUTHORIZED', 'Incorrect email or password.');
      throw toReplyable(e);
    }
  }

  async mfa(code: string): Promise<AuthState> {
    const pending = await this.#mfa.get();
    if (!pending) throw new ReplyableError('MFA_EXPIRED', 'The sign-in took too long. Enter your email and password again.');
    try {
      return await this.#signedIn(await this.#cognito.respondToMfa({ email: pending.email, session: pending.session, code }));
    } catch (e) {
      throw toReplyable(e);
    }
  }

  /** Social sign-in through the Cognito hosted UI: authorization code + PKCE (S256). */
  async hostedUi(provider?: 'Google' | 'Facebook'): Promise<AuthState> {
    const identity = this.#browser.identity;
    const domain = this.#config.authDomain;
    if (!identity || !domain) throw new ReplyableError('UNAVAILABLE', 'Social sign-in is not configured for this build.');
    const redirectUri = identity.getRedirectURL();
    const pkce = await createPkcePair();
    const url = authorizeUrl({
      domain,
      clientId: this.#config.auth.clientId,
      redirectUri,
      challenge: pkce.challenge,
      state: pkce.state,
      ...(provider ? { provider } : {}),
    });
    let redirected: string | undefined;
    try {
      redirected = await identity.launchWebAuthFlow({ url, interactive: true });
    } catch (e) {
      throw new ReplyableError('CANCELLED', e instanceof Error && e.message ? e.message : 'Sign-in was cancelled.');
    }
    if (!redirected || !redirected.startsWith(redirectUri)) throw new ReplyableError('CANCELLED', 'Sign-in was cancelled.');
    const params = new URL(redirected).searchParams;
    if (params.get('error')) throw new ReplyableError('UNAUTHORIZED', params.get('error_description') ?? params.get('error') ?? 'Sign-in failed');
    const code = params.get('code');
    if (!code || params.get('state') !== pkce.state) throw new ReplyableError('UNAUTHORIZED', 'The sign-in response did not match this request.');
    try {
      const tokens = await exchangeCode({
        domain,
        clientId: this.#config.auth.clientId,
        redirectUri,
        code,
        verifier: pkce.verifier,
        fetch: (input, init) => this.#fetch(String(input), init),
        now: this.#now,
      });
      return await this.#signedIn(tokens);
    } catch (e) {
      throw toReplyable(e);
    }
  }

  /** Revokes the refresh token at Cognito and forgets every token. */
  async signOut(): Promise<AuthState> {
    await this.#browser.alarms.clear(REFRESH_ALARM);
    await this.#mfa.clear();
    await this.manager.signOut();
    await this.#browser.storage.session.remove(EXPIRED_KEY);
    const state = await this.state();
    this.#onChange(state);
    return state;
  }
}

function toReplyable(e: unknown): Error {
  if (e instanceof ReplyableError) return e;
  if (e instanceof AuthError) {
    const code = e.code === 'NotAuthorizedException' || e.code === 'UserNotFoundException' ? 'UNAUTHORIZED' : e.code;
    return new ReplyableError(code, authErrorMessage(e));
  }
  return new ReplyableError('INTERNAL', authErrorMessage(e));
}
