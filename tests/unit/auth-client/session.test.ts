import { describe, expect, jest, test } from '@jest/globals';
import { AuthError, SessionManager, createSingleFlight, memoryTokenStorage, type SessionEvent, type Tokens } from '../../../lib/auth-client/index.ts';
import { fakeTokens } from './helpers.ts';

function setup(opts: { expiresInMs: number; refresh?: (rt: string) => Promise<Tokens> }) {
  let now = 1_700_000_000_000;
  const storage = memoryTokenStorage(fakeTokens({ expiresAt: now + opts.expiresInMs, email: 'ada@example.com', groups: ['admin'] }));
  const refresh = jest.fn(opts.refresh ?? (async () => {
    await new Promise((r) => setTimeout(r, 5));
    return fakeTokens({ expiresAt: now + 3_600_000, email: 'ada@example.com' });
  }));
  const revokeToken = jest.fn(async (_rt: string) => {});
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
    await manager.signOut();
    expect(revokeToken).toHaveBeenCalledWith('refresh-1');
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
