import type { BrowserPort, StorageAreaPort } from '../../../extension/utils/ports.ts';

/**
 * A fake of the WebExtension API slice the background uses (extension/utils/ports.ts): in-memory
 * storage areas (with the access level recorded), alarms, runtime, tabs, windows and identity.
 * `restart()`-style tests build a second background over the same fake to simulate a service
 * worker that was stopped and started again (storage.session and alarms survive, memory does not).
 */
export const EXTENSION_ID = 'abcdefghijklmnopabcdefghijklmnop';
export const EXTENSION_ORIGIN = `chrome-extension://${EXTENSION_ID}`;

export interface FakeStorageArea extends StorageAreaPort {
  data: Map<string, unknown>;
  accessLevel: string;
}

export function fakeStorageArea(withAccessLevel: boolean): FakeStorageArea {
  const data = new Map<string, unknown>();
  const area: FakeStorageArea = {
    data,
    accessLevel: 'TRUSTED_CONTEXTS_DEFAULT',
    async get(keys) {
      const list = keys === null ? [...data.keys()] : Array.isArray(keys) ? keys : [keys];
      const out: Record<string, unknown> = {};
      for (const k of list) if (data.has(k)) out[k] = structuredClone(data.get(k));
      return out;
    },
    async set(items) {
      for (const [k, v] of Object.entries(items)) data.set(k, structuredClone(v));
    },
    async remove(keys) {
      for (const k of Array.isArray(keys) ? keys : [keys]) data.delete(k);
    },
  };
  if (withAccessLevel) {
    area.setAccessLevel = async ({ accessLevel }) => {
      area.accessLevel = accessLevel;
    };
  }
  return area;
}

export interface FakeBrowser extends BrowserPort {
  storage: { session: FakeStorageArea; local: FakeStorageArea };
  alarmsSet: Map<string, { when?: number; delayInMinutes?: number; periodInMinutes?: number }>;
  sent: unknown[];
  windowsOpened: string[];
  tabMessages: { tabId: number; message: unknown }[];
  tabReplies: Map<number, unknown>;
  authFlow: ((url: string) => Promise<string | undefined>) | null;
}

export function fakeBrowser(options: { chrome?: boolean } = {}): FakeBrowser {
  const alarmsSet = new Map<string, { when?: number; delayInMinutes?: number; periodInMinutes?: number }>();
  const sent: unknown[] = [];
  const windowsOpened: string[] = [];
  const tabMessages: { tabId: number; message: unknown }[] = [];
  const tabReplies = new Map<number, unknown>();
  const fake: FakeBrowser = {
    alarmsSet,
    sent,
    windowsOpened,
    tabMessages,
    tabReplies,
    authFlow: null,
    runtime: {
      id: EXTENSION_ID,
      getURL: (path: string) => `${EXTENSION_ORIGIN}/${path.replace(/^\//, '')}`,
      sendMessage: async (message: unknown) => {
        sent.push(message);
        return undefined;
      },
    },
    storage: { session: fakeStorageArea(options.chrome !== false), local: fakeStorageArea(options.chrome !== false) },
    alarms: {
      create: (name, info) => {
        alarmsSet.set(name, info);
      },
      clear: (name) => alarmsSet.delete(name),
    },
    identity: {
      getRedirectURL: () => `https://${EXTENSION_ID}.chromiumapp.org/`,
      launchWebAuthFlow: async ({ url }) => {
        if (!fake.authFlow) throw new Error('The user closed the window');
        return fake.authFlow(url);
      },
    },
    tabs: {
      sendMessage: async (tabId: number, message: unknown) => {
        tabMessages.push({ tabId, message });
        if (!tabReplies.has(tabId)) throw new Error('Could not establish connection. Receiving end does not exist.');
        return tabReplies.get(tabId);
      },
    },
    windows: {
      create: async ({ url }) => {
        windowsOpened.push(url);
        return {};
      },
    },
  };
  return fake;
}

/** Every string stored anywhere in an area, deeply (to prove a token is absent). */
export function allStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(allStrings);
  if (value instanceof Map) return [...value.entries()].flatMap(([k, v]) => [String(k), ...allStrings(v)]);
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [k, ...allStrings(v)]);
  return [];
}

const b64url = (obj: unknown) => Buffer.from(JSON.stringify(obj)).toString('base64url');

/** An unsigned JWT-shaped token (clients only decode claims; the API verifies signatures). */
export function fakeJwt(claims: Record<string, unknown>): string {
  return `${b64url({ alg: 'RS256', kid: 'test' })}.${b64url(claims)}.c2lnbmF0dXJl`;
}

export interface FakeCognito {
  fetch: (input: string, init?: RequestInit) => Promise<Response>;
  calls: { target: string; body: Record<string, unknown> }[];
  /** When set, REFRESH_TOKEN_AUTH answers this error type. */
  refreshError: string | null;
  /** Access token lifetime in seconds for newly issued tokens. */
  lifetime: number;
  mfaFor: Set<string>;
  issued: number;
  refreshDelayMs: number;
}

/**
 * A fake Cognito JSON API (X-Amz-Target dispatch) issuing fake JWTs whose exp follows `now()`.
 */
export function fakeCognito(now: () => number): FakeCognito {
  const state: FakeCognito = {
    calls: [],
    refreshError: null,
    lifetime: 3600,
    mfaFor: new Set(),
    issued: 0,
    refreshDelayMs: 0,
    fetch: async (_input, init) => {
      const target = String((init?.headers as Record<string, string>)['X-Amz-Target']).split('.').pop() ?? '';
      const body = JSON.parse(String(init?.body)) as Record<string, unknown>;
      state.calls.push({ target, body });
      const issue = (email: string, withRefresh: boolean) => {
        state.issued++;
        const exp = Math.floor(now() / 1000) + state.lifetime;
        const sub = `sub-${email}`;
        return {
          AuthenticationResult: {
            AccessToken: fakeJwt({ sub, exp, token_use: 'access', n: state.issued }),
            IdToken: fakeJwt({ sub, email, exp, token_use: 'id', n: state.issued }),
            ...(withRefresh ? { RefreshToken: `refresh-${email}-${state.issued}` } : {}),
            ExpiresIn: state.lifetime,
          },
        };
      };
      const ok = (json: unknown) => new Response(JSON.stringify(json), { status: 200 });
      const fail = (type: string, message: string) => new Response(JSON.stringify({ __type: type, message }), { status: 400 });
      const params = (body.AuthParameters ?? {}) as Record<string, string>;
      if (target === 'InitiateAuth' && body.AuthFlow === 'USER_PASSWORD_AUTH') {
        const email = params.USERNAME ?? '';
        if (params.PASSWORD !== 'correct horse battery') return fail('NotAuthorizedException', 'Incorrect username or password.');
        if (state.mfaFor.has(email)) return ok({ ChallengeName: 'SOFTWARE_TOKEN_MFA', Session: `mfa-session-${email}` });
        return ok(issue(email, true));
      }
      if (target === 'InitiateAuth' && body.AuthFlow === 'REFRESH_TOKEN_AUTH') {
        if (state.refreshDelayMs) await new Promise((r) => setTimeout(r, state.refreshDelayMs));
        if (state.refreshError) return fail(state.refreshError, 'Refresh Token has been revoked');
        const email = (params.REFRESH_TOKEN ?? '').split('-')[1] ?? 'x';
        return ok(issue(`${email}`, false));
      }
      if (target === 'RespondToAuthChallenge') {
        const responses = body.ChallengeResponses as Record<string, string>;
        if (responses.SOFTWARE_TOKEN_MFA_CODE !== '123456') return fail('CodeMismatchException', 'Invalid code');
        return ok(issue(responses.USERNAME ?? '', true));
      }
      if (target === 'RevokeToken') return ok({});
      return fail('UnsupportedOperation', target);
    },
  };
  return state;
}
