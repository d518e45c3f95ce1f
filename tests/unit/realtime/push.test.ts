import { describe, expect, it, jest } from '@jest/globals';
import { fanOut, PushRetryableError, wants } from '../../../lib/realtime/push.ts';
import { isGone, managementPusher } from '../../../lib/realtime/management.ts';
import type { PushMessage } from '../../../lib/contracts/realtime.ts';
import { memoryConnections, recordingPusher, sdkError } from './fakes.ts';
import type { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';

const message: PushMessage = { type: 'credits.changed', v: 1, seq: 1, at: new Date().toISOString(), balance: 5 };

describe('fanOut', () => {
  it('sends to every connection, deletes the ones that answer 410, keeps the others', async () => {
    const connections = memoryConnections();
    for (const id of ['c1', 'c2', 'c3']) await connections.put('u', id);
    const pusher = recordingPusher({ c2: 'gone' });
    const result = await fanOut({ connections, pusher }, await connections.listByUser('u'), message);
    expect(result).toEqual({ sent: 2, gone: 1, rejected: 0 });
    expect(connections.all().map((c) => c.connectionId).sort()).toEqual(['c1', 'c3']);
    expect(pusher.received.get('c1')).toEqual([message]);
  });

  it('skips (and logs) permanent 4xx refusals without retrying', async () => {
    const connections = memoryConnections();
    await connections.put('u', 'c1');
    await connections.put('u', 'c2');
    const warn = jest.fn();
    const result = await fanOut(
      { connections, pusher: recordingPusher({ c1: sdkError('ForbiddenException', 403) }), log: { warn } },
      await connections.listByUser('u'),
      message,
    );
    expect(result).toEqual({ sent: 1, gone: 0, rejected: 1 });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(connections.all()).toHaveLength(2);
  });

  it('tries every connection, then throws a retryable error on 5xx / throttling / network failures', async () => {
    const connections = memoryConnections();
    for (const id of ['c1', 'c2', 'c3']) await connections.put('u', id);
    const pusher = recordingPusher({ c1: sdkError('InternalServerError', 500), c2: sdkError('LimitExceededException', 429) });
    await expect(fanOut({ connections, pusher }, await connections.listByUser('u'), message)).rejects.toBeInstanceOf(PushRetryableError);
    expect(pusher.received.get('c3')).toEqual([message]);
  });

  it('limits in-flight pushes to the concurrency given', async () => {
    const connections = memoryConnections();
    for (let i = 0; i < 20; i++) await connections.put('u', `c${i}`);
    let inFlight = 0;
    let peak = 0;
    const pusher = {
      async post() {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 2));
        inFlight--;
        return 'sent' as const;
      },
      async close() {},
    };
    const result = await fanOut({ connections, pusher, concurrency: 4 }, await connections.listByUser('u'), message);
    expect(result.sent).toBe(20);
    expect(peak).toBe(4);
  });

  it('wants(): no subscriptions = every job; subscriptions limit job messages only', () => {
    const base = { userId: 'u', connectionId: 'c', connectedAt: '', expiresAt: 0 };
    expect(wants({ ...base, jobIds: [] }, 'j1')).toBe(true);
    expect(wants({ ...base, jobIds: ['j2'] }, 'j1')).toBe(false);
    expect(wants({ ...base, jobIds: ['j1', 'j2'] }, 'j1')).toBe(true);
    expect(wants({ ...base, jobIds: ['j2'] }, undefined)).toBe(true);
  });
});

describe('management API errors', () => {
  it('treats GoneException (AWS) and a bare 410 ("Unknown" locally) as gone, nothing else', () => {
    expect(isGone(sdkError('GoneException', 410))).toBe(true);
    expect(isGone(sdkError('Unknown', 410))).toBe(true);
    expect(isGone(sdkError('ForbiddenException', 403))).toBe(false);
    expect(isGone(new Error('socket hang up'))).toBe(false);
  });

  it('managementPusher maps 410 to "gone", rethrows the rest, and sends the data as bytes', async () => {
    const sent: unknown[] = [];
    const answers: unknown[] = [undefined, sdkError('Unknown', 410), sdkError('InternalServerError', 500)];
    const client = {
      send: async (command: { input: { ConnectionId: string; Data: Uint8Array } }) => {
        sent.push({ id: command.input.ConnectionId, data: new TextDecoder().decode(command.input.Data) });
        const answer = answers.shift();
        if (answer) throw answer;
        return {};
      },
    } as unknown as ApiGatewayManagementApiClient;
    const pusher = managementPusher(() => client);
    await expect(pusher.post('a', '{"x":1}')).resolves.toBe('sent');
    await expect(pusher.post('b', '{}')).resolves.toBe('gone');
    await expect(pusher.post('c', '{}')).rejects.toMatchObject({ name: 'InternalServerError' });
    expect(sent[0]).toEqual({ id: 'a', data: '{"x":1}' });
  });
});
