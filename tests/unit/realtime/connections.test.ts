import { describe, expect, it } from '@jest/globals';
import { connect, disconnect, handleClientMessage } from '../../../lib/realtime/connections.ts';
import { UnauthorizedError, UnavailableError } from '../../../lib/http/errors.ts';
import { MAX_SUBSCRIPTIONS, replyMessageSchema } from '../../../lib/contracts/realtime.ts';
import type { AuthUser } from '../../../lib/auth/verifier.ts';
import { closeSignedOutConnections } from '../../../lib/realtime/signout.ts';
import { memoryConnections, recordingPusher } from './fakes.ts';

const TOKEN = 'header.payload.signature-long-enough';
const user: AuthUser = { sub: 'user-a', groups: [], roles: ['user'], clientId: 'c', scopes: [] };
const verifyOk = async (token: string) => {
  if (token !== TOKEN) throw new UnauthorizedError('Invalid access token');
  return user;
};

describe('$connect', () => {
  it('stores the connection under the verified sub', async () => {
    const connections = memoryConnections();
    const res = await connect({ verify: verifyOk, connections }, { connectionId: 'c1', query: { token: TOKEN } });
    expect(res).toEqual({ statusCode: 200, userId: 'user-a' });
    expect(connections.all()).toMatchObject([{ userId: 'user-a', connectionId: 'c1', jobIds: [] }]);
  });

  it('refuses a missing, forged or expired token with 401 and stores nothing', async () => {
    const connections = memoryConnections();
    const deps = { verify: verifyOk, connections };
    expect((await connect(deps, { connectionId: 'c1', query: null })).statusCode).toBe(401);
    expect((await connect(deps, { connectionId: 'c1', query: { other: 'x' } })).statusCode).toBe(401);
    expect((await connect(deps, { connectionId: 'c1', query: { token: 'forged.token.value-xxxxxxxxx' } })).statusCode).toBe(401);
    const expired = { verify: async () => Promise.reject(new UnauthorizedError('Access token expired')), connections };
    expect((await connect(expired, { connectionId: 'c1', query: { token: TOKEN } })).statusCode).toBe(401);
    expect(connections.all()).toEqual([]);
  });

  it('answers 503 when the signing keys are unavailable, and rethrows unexpected errors', async () => {
    const connections = memoryConnections();
    const down = { verify: async () => Promise.reject(new UnavailableError('keys')), connections };
    expect((await connect(down, { connectionId: 'c1', query: { token: TOKEN } })).statusCode).toBe(503);
    const broken = { verify: verifyOk, connections: { ...connections, put: async () => Promise.reject(new Error('db down')) } };
    await expect(connect(broken, { connectionId: 'c1', query: { token: TOKEN } })).rejects.toThrow('db down');
  });
});

describe('$disconnect', () => {
  it('removes the connection, and is a no-op for an unknown one', async () => {
    const connections = memoryConnections();
    await connections.put('user-a', 'c1');
    expect(await disconnect({ connections }, 'c1')).toEqual({ statusCode: 200 });
    expect(await disconnect({ connections }, 'nope')).toEqual({ statusCode: 200 });
    expect(connections.all()).toEqual([]);
  });
});

describe('client messages', () => {
  const parse = (body?: string) => replyMessageSchema.parse(JSON.parse(body ?? ''));

  it('ping → pong', async () => {
    const now = new Date('2026-01-01T00:00:00.000Z');
    const res = await handleClientMessage({ connections: memoryConnections(), now: () => now }, { connectionId: 'c1', body: '{"action":"ping"}' });
    expect(parse(res.body)).toEqual({ type: 'pong', v: 1, at: now.toISOString() });
  });

  it('subscribe records the job on the caller’s connection', async () => {
    const connections = memoryConnections();
    await connections.put('user-a', 'c1');
    const res = await handleClientMessage({ connections }, { connectionId: 'c1', body: '{"action":"subscribe","jobId":"j1"}' });
    expect(parse(res.body)).toEqual({ type: 'subscribed', v: 1, jobId: 'j1', jobIds: ['j1'] });
    expect((await connections.find('c1'))?.jobIds).toEqual(['j1']);
  });

  it('refuses more than MAX_SUBSCRIPTIONS jobs per connection', async () => {
    const connections = memoryConnections();
    await connections.put('user-a', 'c1');
    for (let i = 0; i < MAX_SUBSCRIPTIONS; i++) await connections.subscribe('user-a', 'c1', `j${i}`);
    const res = await handleClientMessage({ connections }, { connectionId: 'c1', body: '{"action":"subscribe","jobId":"one-more"}' });
    expect(parse(res.body)).toMatchObject({ type: 'error', code: 'RATE_LIMITED' });
  });

  it('bad input gets an error message with a stable code, never a failure', async () => {
    const deps = { connections: memoryConnections() };
    const reply = async (body: string | null) => parse((await handleClientMessage(deps, { connectionId: 'c1', body })).body);
    expect(await reply('not json')).toMatchObject({ type: 'error', code: 'INVALID_JSON' });
    expect(await reply(null)).toMatchObject({ type: 'error', code: 'INVALID_JSON' });
    expect(await reply('{"action":"dance"}')).toMatchObject({ type: 'error', code: 'VALIDATION_FAILED' });
    expect(await reply('{"action":"subscribe"}')).toMatchObject({ type: 'error', code: 'VALIDATION_FAILED' });
    expect(await reply('{"action":"subscribe","jobId":"j1"}')).toMatchObject({ type: 'error', code: 'UNAUTHORIZED' });
  });
});

describe('sign-out closes the signed-out sessions\' sockets', () => {
  it('records the session of the token at $connect, and closes only the covered sockets', async () => {
    const connections = memoryConnections();
    const pusher = recordingPusher();
    const as = (sessionId: string, signedInAt: number) => async (token: string) => ({ ...(await verifyOk(token)), sessionId, signedInAt });
    await connect({ verify: as('s1', 100), connections }, { connectionId: 'laptop', query: { token: TOKEN } });
    await connect({ verify: as('s2', 200), connections }, { connectionId: 'phone', query: { token: TOKEN } });
    expect(connections.all().map((c) => [c.connectionId, c.sessionId, c.signedInAt])).toEqual([['laptop', 's1', 100], ['phone', 's2', 200]]);

    const userId = connections.all()[0]!.userId;
    expect(await closeSignedOutConnections({ connections, pusher }, userId, (s) => s.sessionId === 's1')).toEqual(['laptop']);
    expect(pusher.closed).toEqual(['laptop']);
    expect(connections.all().map((c) => c.connectionId)).toEqual(['phone']);
    expect(await closeSignedOutConnections({ connections, pusher }, userId, (s) => (s.signedInAt ?? 0) <= 300)).toEqual(['phone']);
    expect(connections.all()).toEqual([]);
  });
});
