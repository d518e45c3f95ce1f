import { describe, expect, it, jest } from '@jest/globals';
import { attachUser } from '../../../lib/http/http.ts';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { decodeCursor, encodeCursor, periodOf, summarize } from '../../../lib/billing/usage.ts';
import { meter } from '../../../lib/billing/usage-middleware.ts';
import type { UsageRecordInput } from '../../../lib/billing/usage.ts';
import { NotFoundError } from '../../../lib/http/errors.ts';

describe('summarize', () => {
  it('sums grants and net spend per period and per day', () => {
    const s = summarize([
      { kind: 'grant', amount: 30, at: '2026-11-01T00:00:00.000Z' },
      { kind: 'reserve', amount: -5, at: '2026-11-02T10:00:00.000Z' },
      { kind: 'settle', amount: 2, at: '2026-11-02T10:05:00.000Z' },
      { kind: 'reserve', amount: -4, at: '2026-11-03T10:00:00.000Z' },
      { kind: 'refund', amount: 4, at: '2026-11-03T10:01:00.000Z' },
      { kind: 'expire', amount: -7, at: '2026-11-03T11:00:00.000Z' },
    ]);
    expect(s.granted).toBe(30);
    expect(s.spent).toBe(3);
    expect(s.daily).toEqual([
      { date: '2026-11-01', granted: 30, spent: 0 },
      { date: '2026-11-02', granted: 0, spent: 3 },
      { date: '2026-11-03', granted: 0, spent: 0 },
    ]);
  });
});

describe('periodOf', () => {
  const now = new Date('2026-11-26T04:00:00Z');
  it('uses the subscription period while it is current, else the calendar month', () => {
    expect(periodOf(now, '2026-11-10T00:00:00.000Z', '2026-12-10T00:00:00.000Z')).toEqual({ start: '2026-11-10T00:00:00.000Z', end: '2026-12-10T00:00:00.000Z' });
    expect(periodOf(now, '2026-10-10T00:00:00.000Z', '2026-11-10T00:00:00.000Z')).toEqual({ start: '2026-11-01T00:00:00.000Z', end: '2026-12-01T00:00:00.000Z' });
    expect(periodOf(now, null, null).start).toBe('2026-11-01T00:00:00.000Z');
  });
});

describe('ledger cursor', () => {
  it('round-trips and refuses garbage or another user’s cursor', () => {
    const key = { pk: 'USER#u1', sk: 'BILLING#LEDGER#grant#x', gsi1pk: 'LEDGER#u1', gsi1sk: '2026#grant#x' };
    const c = encodeCursor(key);
    expect(c).not.toBeNull();
    expect(decodeCursor(c ?? '', 'u1')).toEqual(key);
    expect(() => decodeCursor(c ?? '', 'u2')).toThrow(/Invalid cursor/);
    expect(() => decodeCursor('%%%not-base64', 'u1')).toThrow(/Invalid cursor/);
    expect(decodeCursor(undefined, 'u1')).toBeUndefined();
    expect(encodeCursor(undefined)).toBeNull();
  });
});

describe('meter()', () => {
  const event = (): APIGatewayProxyEventV2 =>
    ({ routeKey: 'GET /usage', rawPath: '/usage', requestContext: { http: { method: 'GET' } }, headers: {} }) as unknown as APIGatewayProxyEventV2;
  const ctx = { awsRequestId: 'req-1' } as Context;
  const withUser = {
    before: async (r: { event: APIGatewayProxyEventV2 }) =>
      attachUser(r.event, { sub: 'user-1', groups: [], roles: ['user'], clientId: 'c', scopes: [] }),
  };

  it('records route, user, status and latency', async () => {
    const records: UsageRecordInput[] = [];
    const h = middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
      .use(withUser)
      .use(meter(async (r) => void records.push(r)))
      .handler(async () => ({ statusCode: 201, body: '{}' }));
    await h(event(), ctx);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ userId: 'user-1', route: '/usage', method: 'GET', status: 201, requestId: 'req-1' });
    expect(records[0]?.latencyMs).toBeGreaterThanOrEqual(0);
  });
  it('records the status of a failed request and still fails it', async () => {
    const records: UsageRecordInput[] = [];
    const h = middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
      .use(withUser)
      .use(meter(async (r) => void records.push(r)))
      .handler(async () => {
        throw new NotFoundError();
      });
    await expect(h(event(), ctx)).rejects.toBeInstanceOf(NotFoundError);
    expect(records[0]?.status).toBe(404);
  });
  it('never fails the request when the usage write fails', async () => {
    const failing = jest.fn(async () => {
      throw new Error('DynamoDB is down');
    });
    const h = middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
      .use(withUser)
      .use(meter(failing))
      .handler(async () => ({ statusCode: 200, body: 'ok' }));
    await expect(h(event(), ctx)).resolves.toEqual({ statusCode: 200, body: 'ok' });
    expect(failing).toHaveBeenCalledTimes(1);
  });
  it('skips anonymous calls', async () => {
    const rec = jest.fn(async () => undefined);
    const h = middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>().use(meter(rec)).handler(async () => ({ statusCode: 200 }));
    await h(event(), ctx);
    expect(rec).not.toHaveBeenCalled();
  });
});
