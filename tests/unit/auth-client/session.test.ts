import { describe, expect, jest, test } from '@jest/globals';
import { AuthError, SessionManager, createSingleFlight, memoryTokenStorage, signOutThroughApi, type FetchLike, type SessionEvent, type Tokens } from '../../../lib/auth-client/index.ts';
import { fakeTokens } from './helpers.ts';

function setup(opts: { expiresInMs: number; refresh?: (rt: string) => Promise<Tokens> }) {
  let now = 1_700_000_000_000;
  const storage = memoryTokenStorage(fakeTokens({ expiresAt: now + opts.expiresInMs, email: 'ada@example.com', groups: ['admin'] }));
  const refresh = jest.fn(opts.refresh ?? (async () => {
    await new Promise((r) => setTimeout(r, 5));
    return fakeTokens({ expiresAt: now + 3_600_000, email: 'ada@example.com' });
  }));
  const revokeToken = jest.fn(async (_rt: string, _at?: string) => {});
  const manager = new SessionManager({ storage, client: { refresh, revokeToken }, refreshMarginSeconds: 60, now: () => now });
  const events: SessionEvent[] = [];
  manager.on((e) => events.push(e));
  return { manager, storage, refresh, revokeToken, events, advance: (ms: number) => (now += ms) };
}

describe('SessionManager', () => {
  test('a valid token is returned without refreshing, with the user from the ID token', async () => {
    const { manager, refresh } = setup({ expiresInMs: 10 * 60_000 });
    const session = await manager.getSession();
    expect(session?.user).toEqual({ sub: 'user-1', email: 'ada@example.com', groups: ['admin'] });
    expect(refresh).not.toHaveBeenCalled();
  });

  test('refreshes before expiry (within the margin), and stores the new tokens', async () => {
    const { manager, refresh, storage, events } = setup({ expiresInMs: 30_000 });
    const before = storage.current();
    const token = await manager.getAccessToken();
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(refresh).toHaveBeenCalledWith(before?.refreshToken ?? "missing");
    expect(token).toBe(storage.current()?.accessToken);
    expect(token).not.toBe(before?.accessToken);
    expect(events.map((e) => e.type)).toEqual(['refreshed']);
  });

  test('concurrent callers share a single refresh (single flight)', async () => {
    const { manager, refresh } = setup({ expiresInMs: 1_000 });
    const tokens = await Promise.all(Array.from({ length: 25 }, () => manager.getAccessToken()));
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(new Set(tokens).size).toBe(1);
  });

  test('managers sharing a flight group share one refresh of the same refresh token', async () => {
    const flights = createSingleFlight<Tokens | null>();
    const t = fakeTokens({ expiresAt: Date.now() - 1 });
    const refresh = jest.fn(async () => {
      await new Promise((r) => setTimeout(r, 5));
      return fakeTokens({ expiresAt: Date.now() + 3_600_000 });
    });
    const managers = Array.from({ length: 5 }, () => new SessionManager({ storage: memoryTokenStorage(t), client: { refresh, revokeToken: async () => {} }, flights }));
    await Promise.all(managers.map((m) => m.getSession()));
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(flights.size()).toBe(0);
  });

  test('a rejected refresh token ends the session with an expired event', async () => {
    const { manager, storage, events } = setup({
      expiresInMs: -1,
      refresh: async () => Promise.reject(new AuthError('NotAuthorizedException', 'Refresh Token has been revoked')),
    });
    await expect(manager.getSession()).resolves.toBeNull();
    expect(storage.current()).toBeNull();
    expect(events).toEqual([{ type: 'expired', reason: 'Refresh Token has been revoked' }]);
  });

  test('a network failure during refresh keeps the session for a retry', async () => {
    const { manager, storage } = setup({ expiresInMs: -1, refresh: async () => Promise.reject(new AuthError('NetworkError', 'down', 503)) });
    await expect(manager.getSession()).rejects.toMatchObject({ code: 'NetworkError' });
    expect(storage.current()).not.toBeNull();
  });

  test('sign-out revokes the refresh token and clears storage even when revoke fails', async () => {
    const { manager, storage, revokeToken, events } = setup({ expiresInMs: 600_000 });
    revokeToken.mockRejectedValueOnce(new AuthError('NetworkError', 'down', 503));
    const { accessToken } = storage.current()!;
    await manager.signOut();
    expect(revokeToken).toHaveBeenCalledWith('refresh-1', accessToken);
    expect(storage.current()).toBeNull();
    expect(events.at(-1)).toEqual({ type: 'signed-out' });
    await expect(manager.getSession()).resolves.toBeNull();
  });

  test('signIn stores tokens and emits signed-in; auto refresh fires before expiry', async () => {
    jest.useFakeTimers({ now: 1_700_000_000_000 });
    try {
      const storage = memoryTokenStorage();
      const refresh = jest.fn(async () => fakeTokens({ expiresAt: Date.now() + 3_600_000 }));
      const manager = new SessionManager({ storage, client: { refresh, revokeToken: async () => {} }, refreshMarginSeconds: 60 });
      const events: string[] = [];
      manager.on((e) => events.push(e.type));
      await manager.signIn(fakeTokens({ expiresAt: Date.now() + 5 * 60_000 }));
      await manager.startAutoRefresh();
      await jest.advanceTimersByTimeAsync(3 * 60_000);
      expect(refresh).not.toHaveBeenCalled();
      await jest.advanceTimersByTimeAsync(60_000 + 10);
      expect(refresh).toHaveBeenCalledTimes(1);
      expect(events).toEqual(['signed-in', 'refreshed']);
      manager.stopAutoRefresh();
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('signOutThroughApi', () => {
  const cognito = () => ({ refresh: jest.fn(async (_rt: string) => fakeTokens({ expiresAt: 0 })), revokeToken: jest.fn(async (_rt: string) => {}) });

  test('signs out through POST /auth/logout with the access token; Cognito is not called', async () => {
    const client = cognito();
    const fetch = jest.fn(async (_url: string, _init: { method: string; headers: Record<string, string>; body: string }) => ({ status: 204 }) as Response);
    await signOutThroughApi(client, { url: 'https://api.example/', fetch }).revokeToken('refresh-1', 'access-1');
    expect(fetch).toHaveBeenCalledTimes(1);
    const [url, init] = fetch.mock.calls[0]!;
    expect(url).toBe('https://api.example/auth/logout');
    expect(init).toMatchObject({ method: 'POST', headers: { authorization: 'Bearer access-1', 'content-type': 'application/json' } });
    expect(JSON.parse(init.body)).toEqual({ refreshToken: 'refresh-1' });
    expect(client.revokeToken).not.toHaveBeenCalled();
  });

  test.each([
    ['the API refuses the (expired) access token', async () => ({ status: 401 }) as Response],
    ['the API cannot be reached', async (): Promise<Response> => { throw new TypeError('fetch failed'); }],
  ])('falls back to Cognito when %s', async (_case, impl) => {
    const client = cognito();
    await signOutThroughApi(client, { url: 'https://api.example', fetch: jest.fn<FetchLike>(impl) }).revokeToken('refresh-1', 'access-1');
    expect(client.revokeToken).toHaveBeenCalledWith('refresh-1');
  });

  test('falls back to Cognito when the API does not answer in time', async () => {
    const client = cognito();
    const hung = jest.fn<FetchLike>(() => new Promise(() => {}));
    await signOutThroughApi(client, { url: 'https://api.example', fetch: hung, timeoutMs: 20 }).revokeToken('refresh-1', 'access-1');
    expect(client.revokeToken).toHaveBeenCalledWith('refresh-1');
  });

  test('without an access token it goes straight to Cognito; refresh is untouched', async () => {
    const client = cognito();
    const fetch = jest.fn<FetchLike>(async () => ({ status: 204 }) as Response);
    const wrapped = signOutThroughApi(client, { url: 'https://api.example', fetch });
    await wrapped.revokeToken('refresh-1');
    expect(fetch).not.toHaveBeenCalled();
    expect(client.revokeToken).toHaveBeenCalledWith('refresh-1');
    await wrapped.refresh('refresh-1');
    expect(client.refresh).toHaveBeenCalledWith('refresh-1');
  });
});
