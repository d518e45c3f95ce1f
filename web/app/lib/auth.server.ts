import { data, redirect, type RouterContextProvider } from 'react-router';
import {
  AuthError,
  SessionManager,
  createCognitoClient,
  createSingleFlight,
  signOutThroughApi,
  type Session,
  type SessionClient,
  type Tokens,
  type User,
} from '../../../lib/auth-client/index.ts';
import { sessionContext } from './context.ts';
import { portalEnv } from './env.server.ts';
import type { SessionHandle } from './session.server.ts';

/**
 * requireUser()/requireRole(): the portal's guards. Tokens live in the encrypted cookie session;
 * the shared SessionManager refreshes them shortly before expiry (one refresh per refresh token at
 * a time across concurrent requests) and the root middleware writes the new cookie.
 */
export interface Args {
  request: Request;
  context: Readonly<RouterContextProvider>;
}

let client: ReturnType<typeof createCognitoClient> | undefined;
export function cognito() {
  client ??= createCognitoClient({ config: portalEnv().auth });
  return client;
}

/** The session's client: Cognito, with sign-out through the API (it also ends the access tokens there). */
let sessionClient: SessionClient | undefined;
function sessionCognito(): SessionClient {
  sessionClient ??= signOutThroughApi(cognito(), { url: portalEnv().API_URL });
  return sessionClient;
}

const flights = createSingleFlight<Tokens | null>();

export function sessionOf(context: Readonly<RouterContextProvider>): SessionHandle {
  return context.get(sessionContext);
}

export function managerFor(handle: SessionHandle, deps: { client: SessionClient } = { client: sessionCognito() }): SessionManager {
  return new SessionManager({
    storage: {
      get: () => handle.get('tokens') ?? null,
      set: (t) => handle.set('tokens', t),
      clear: () => handle.unset('tokens'),
    },
    client: deps.client,
    refreshMarginSeconds: 60,
    flights,
  });
}

const REDIRECT_BASE = 'https://portal.invalid';
/** Control characters (a browser strips tab/CR/LF from URLs) and backslashes (it reads them as slashes). */
const UNSAFE_IN_PATH = /[\u0000-\u001f\u007f\\]/;

/**
 * Only same-site paths (open redirects): a value must start with one `/`, hold no character a browser
 * drops or turns into a slash (tab, CR, LF, `\`) — neither as is nor once percent-decoded — and
 * resolve, by the same URL parser browsers use, to this origin. `//evil.com`, `/\evil.com`,
 * `/<TAB>/evil.com`, `/%09/evil.com`, `/%5Cevil.com`, `https://evil.com` all give the fallback.
 */
export function safeRedirectTo(value: unknown, fallback = '/dashboard'): string {
  if (typeof value !== 'string' || value.length > 2048 || !value.startsWith('/') || value.startsWith('//')) return fallback;
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    return fallback;
  }
  if (UNSAFE_IN_PATH.test(value) || UNSAFE_IN_PATH.test(decoded) || decoded.startsWith('//')) return fallback;
  let url: URL;
  try {
    url = new URL(value, REDIRECT_BASE);
  } catch {
    return fallback;
  }
  if (url.origin !== REDIRECT_BASE) return fallback;
  return url.pathname + url.search + url.hash;
}

export function signInPath(request: Request, reason?: 'expired'): string {
  const url = new URL(request.url);
  const params = new URLSearchParams({ redirectTo: url.pathname + url.search });
  if (reason) params.set('reason', reason);
  return `/signin?${params.toString()}`;
}

/** The session if signed in (refreshed when close to expiry), else null. */
export async function getOptionalSession({ context }: Pick<Args, 'context'>): Promise<{ session: Session | null; expired: boolean }> {
  const handle = sessionOf(context);
  if (!handle.get('tokens')) return { session: null, expired: false };
  const manager = managerFor(handle);
  let expired = false;
  const off = manager.on((e) => {
    if (e.type === 'expired') expired = true;
  });
  try {
    return { session: await manager.getSession(), expired };
  } catch (e) {
    if (e instanceof AuthError) throw data({ message: 'The sign-in service is unavailable. Please try again in a moment.' }, { status: 503 });
    throw e;
  } finally {
    off();
  }
}

export async function getOptionalUser(args: Pick<Args, 'context'>): Promise<User | null> {
  return (await getOptionalSession(args)).session?.user ?? null;
}

/** The signed-in session, or a redirect to sign-in that comes back here afterwards. */
export async function requireUser(args: Args): Promise<Session> {
  const { session, expired } = await getOptionalSession(args);
  if (!session) throw redirect(signInPath(args.request, expired ? 'expired' : undefined));
  return session;
}

/** requireUser() plus a role: others get a 403 (the page itself is also hidden from them). */
export async function requireRole(args: Args, role: string): Promise<Session> {
  const session = await requireUser(args);
  if (!session.user.groups.includes(role)) {
    throw data({ message: 'You do not have access to this page.' }, { status: 403 });
  }
  return session;
}

/** After any successful sign-in: keep the tokens, drop the pending state. */
export function completeSignIn(handle: SessionHandle, tokens: Tokens): void {
  handle.unset('mfa');
  handle.unset('pkce');
  handle.unset('pendingEmail');
  handle.set('tokens', tokens);
}

/** Forces a refresh (e.g. after the API answered 401); null when the session is over. */
export async function forceRefresh(context: Readonly<RouterContextProvider>): Promise<Tokens | null> {
  const handle = sessionOf(context);
  const tokens = handle.get('tokens');
  if (!tokens) return null;
  try {
    return await managerFor(handle).refresh(tokens);
  } catch {
    return null;
  }
}
