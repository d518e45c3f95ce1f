import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { Context, SQSBatchResponse } from 'aws-lambda';
import { handler as notifier } from '../../../functions/ws/notifier.ts';
import { makeEvent } from '../../../lib/jobs/publisher.ts';
import { listUserConnections } from '../../../lib/db/connection.ts';
import { createTestUser, type TestUser } from '../../support/users.ts';
import { sqsEventOf } from '../../unit/realtime/fakes.ts';
import { openSocket, type TestSocket } from './support.ts';

const SOCKETS = 50;
const EVENTS = 200;
const BATCH = 10;
const IN_FLIGHT = 4;
const context = { awsRequestId: 'burst', functionName: 'notifier', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

jest.setTimeout(120_000);

describe('burst: 50 sockets × 200 events (notifier Lambda in-process, pushes through serverless-offline)', () => {
  let user: TestUser;
  const sockets: TestSocket[] = [];
  let connectMs = 0;

  // Like any client, reconnect after a refused upgrade (a cold or busy $connect Lambda on the shared
  // 2-core test stack, where earlier suites may still be rendering): the burst is about delivery.
  const connect = async (token: string) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await openSocket(token, 60_000);
      } catch (err) {
        if (attempt >= 4) throw err;
        await new Promise((r) => setTimeout(r, 500 * attempt));
      }
    }
  };

  beforeAll(async () => {
    user = await createTestUser({ prefix: 'rt-burst' });
    const started = performance.now();
    // One first (warms the $connect Lambda and the JWKS cache), then 10 at a time: the burst is about
    // delivery to 50 open sockets, not about a connect storm on a loaded laptop.
    sockets.push(await connect(user.accessToken));
    while (sockets.length < SOCKETS) {
      const n = Math.min(10, SOCKETS - sockets.length);
      const opened = await Promise.allSettled(Array.from({ length: n }, () => connect(user.accessToken)));
      for (const o of opened) if (o.status === 'fulfilled') sockets.push(o.value);
      const refused = opened.find((o) => o.status === 'rejected');
      if (refused) throw refused.reason;
    }
    connectMs = performance.now() - started;
  }, 90_000);
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
  }, 30_000);

  it('every socket gets every event exactly once, numbered 1..200, within 60 s', async () => {
    expect(await listUserConnections(user.sub)).toHaveLength(SOCKETS);
    const jobId = `job-${randomUUID()}`;
    const events = Array.from({ length: EVENTS }, (_, i) =>
      makeEvent({ type: 'job.progress', jobId, userId: user.sub, status: 'running', stage: 'render', progress: (i * 100) / EVENTS }),
    );
    const batches = Array.from({ length: EVENTS / BATCH }, (_, i) => sqsEventOf(events.slice(i * BATCH, (i + 1) * BATCH)));
    const started = performance.now();
    const responses: SQSBatchResponse[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < batches.length) responses.push(await notifier(batches[next++]!, context));
      }),
    );
    expect(responses.flatMap((r) => r.batchItemFailures)).toEqual([]);

    const all = (ms: { type: string }[]) => ms.filter((m) => m.type === 'job.updated').length >= EVENTS;
    await Promise.all(sockets.map((s) => s.until(all, 60_000, `${EVENTS} job.updated`)));
    const elapsed = performance.now() - started;

    const expected = Array.from({ length: EVENTS }, (_, i) => i + 1);
    for (const s of sockets) {
      const got = s.messages.filter((m) => m.type === 'job.updated');
      expect(got).toHaveLength(EVENTS); // nothing duplicated
      expect(got.map((m) => m.seq).sort((x, y) => x - y)).toEqual(expected); // nothing lost, one number each
      expect(new Set(got.map((m) => (m.type === 'job.updated' ? m.jobId : '')))).toEqual(new Set([jobId]));
    }
    // Loopback bound: 10 000 pushes should take a few seconds; 60 s means something is wrong.
    expect(elapsed).toBeLessThan(60_000);
    console.info(`burst: ${SOCKETS} sockets connected in ${Math.round(connectMs)} ms; ${EVENTS} events × ${SOCKETS} sockets delivered in ${Math.round(elapsed)} ms`);
  }, 120_000);
});
