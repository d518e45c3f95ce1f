import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { publish } from '../../../lib/jobs/publisher.ts';
import { getBalance } from '../../../lib/billing/index.ts';
import { listUserConnections, putConnection } from '../../../lib/db/connection.ts';
import type { ServerMessage } from '../../../lib/contracts/realtime.ts';
import { createTestUser, type TestUser } from '../../support/users.ts';
import { clip } from '../../unit/realtime/fakes.ts';
import { eventually, expiredCopy, forgedCopy, openSocket, upgradeStatus, type TestSocket } from './support.ts';

const jobMessages = (ms: ServerMessage[]) => ms.filter((m) => m.type !== 'pong' && m.type !== 'subscribed' && m.type !== 'error');

jest.setTimeout(120_000);

describe('WebSocket API (serverless-offline) + notifier', () => {
  let alice: TestUser;
  let bob: TestUser;
  const open: TestSocket[] = [];
  const connect = async (token: string) => {
    const s = await openSocket(token);
    open.push(s);
    return s;
  };

  beforeAll(async () => {
    [alice, bob] = await Promise.all([createTestUser({ prefix: 'rt-alice' }), createTestUser({ prefix: 'rt-bob' })]);
  }, 30_000);
  afterAll(async () => {
    await Promise.all(open.map((s) => s.close()));
  }, 30_000);

  it('refuses a missing, forged, tampered or expired token with 401 and accepts a valid one', async () => {
    expect(await upgradeStatus(undefined)).toBe(401);
    expect(await upgradeStatus('not-a-jwt-at-all-but-long-enough')).toBe(401);
    expect(await upgradeStatus(forgedCopy(alice.accessToken))).toBe(401);
    expect(await upgradeStatus(forgedCopy(alice.accessToken, { sub: bob.sub }))).toBe(401);
    const [head, , sig] = alice.accessToken.split('.');
    const tampered = `${head}.${Buffer.from(JSON.stringify({ sub: bob.sub })).toString('base64url')}.${sig}`;
    expect(await upgradeStatus(tampered)).toBe(401);
    expect(await upgradeStatus(expiredCopy(alice.accessToken))).toBe(401);
    // Node's WebSocket sees the refusal as an error (no close event ever comes).
    await expect(openSocket(expiredCopy(alice.accessToken))).rejects.toThrow('WebSocket refused');
    expect(await upgradeStatus(alice.accessToken)).toBe(101);
  });

  it('answers ping and subscribe on the same socket', async () => {
    const s = await connect(alice.accessToken);
    s.send({ action: 'ping' });
    await s.until((ms) => ms.some((m) => m.type === 'pong'), 10_000, 'pong');
    s.send({ action: 'subscribe', jobId: 'job-x' });
    await s.until((ms) => ms.some((m) => m.type === 'subscribed'), 10_000, 'subscribed');
    s.send({ action: 'dance' });
    await s.until((ms) => ms.some((m) => m.type === 'error'), 10_000, 'error reply');
    expect(s.messages.find((m) => m.type === 'subscribed')).toEqual({ type: 'subscribed', v: 1, jobId: 'job-x', jobIds: ['job-x'] });
    expect(s.messages.find((m) => m.type === 'error')).toMatchObject({ code: 'VALIDATION_FAILED' });
    await s.close();
  });

  it("delivers A's job events only to A's sockets, in sequence order, each clip.ready before job.finished", async () => {
    const [a1, a2, b1] = await Promise.all([connect(alice.accessToken), connect(alice.accessToken), connect(bob.accessToken)]);
    const aJob = `job-${randomUUID()}`;
    const bJob = `job-${randomUUID()}`;
    const a = { jobId: aJob, userId: alice.sub };
    // Published one by one through SNS → NotifierQueue → notifier Lambda (serverless-offline).
    const sequence = [
      { type: 'job.requested', ...a },
      { type: 'job.progress', ...a, status: 'running', stage: 'download', progress: 10 },
      { type: 'job.progress', jobId: bJob, userId: bob.sub, status: 'running', stage: 'audio', progress: 30 },
      { type: 'job.progress', ...a, status: 'running', stage: 'render', progress: 70 },
      { type: 'stage.completed', ...a, stage: 'render', clipId: 'c1', output: { clip: clip('c1') } },
      { type: 'stage.completed', ...a, stage: 'render', clipId: 'c2', output: { clip: clip('c2') } },
      { type: 'job.finished', ...a, status: 'succeeded', creditsCharged: 4 },
    ] as const;
    for (const e of sequence) await publish(e);

    // credits.changed follows job.finished (same event, balance read after settlement).
    const aliceDone = (ms: ServerMessage[]) => jobMessages(ms).some((m) => m.type === 'credits.changed');
    await Promise.all([a1.until(aliceDone, 30_000, "alice's credits.changed"), a2.until(aliceDone, 30_000, "alice's credits.changed")]);
    const { balance } = await getBalance(alice.sub);
    await b1.until((ms) => jobMessages(ms).length >= 1, 30_000, "bob's job.updated");

    for (const s of [a1, a2]) {
      const got = jobMessages(s.messages).filter((m) => m.type !== 'credits.changed');
      expect(got.every((m) => 'jobId' in m && m.jobId === aJob)).toBe(true);
      expect(got.map((m) => m.type)).toEqual(['job.updated', 'job.updated', 'job.updated', 'clip.ready', 'clip.ready', 'job.finished']);
      expect(got.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(got[5]).toMatchObject({ type: 'job.finished', status: 'succeeded', clips: 2, creditsCharged: 4 });
      expect(got[3]).toMatchObject({ type: 'clip.ready', clip: clip('c1') });
      const credits = s.messages.filter((m) => m.type === 'credits.changed');
      expect(credits).toEqual([expect.objectContaining({ type: 'credits.changed', v: 1, balance })]);
      expect(s.messages.findIndex((m) => m.type === 'credits.changed')).toBeGreaterThan(s.messages.findIndex((m) => m.type === 'job.finished'));
    }
    // Bob sees his own job only, and nothing of Alice's.
    await new Promise((r) => setTimeout(r, 300));
    expect(jobMessages(b1.messages).map((m) => ('jobId' in m ? m.jobId : m.type))).toEqual([bJob]);
    expect(JSON.stringify(b1.messages)).not.toContain(aJob);
  });

  it("sign-out closes the signed-out session's sockets; another session's stay open", async () => {
    const carol = await createTestUser({ prefix: 'rt-carol' });
    const signIn = await fetch(`${process.env.API_URL}/auth/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: carol.email, password: carol.password }),
    });
    const phone = (await signIn.json()) as { accessToken: string };
    const [laptopSocket, phoneSocket] = [await connect(carol.accessToken), await connect(phone.accessToken)];
    expect(await listUserConnections(carol.sub)).toHaveLength(2);

    const out = await fetch(`${process.env.API_URL}/auth/logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${carol.accessToken}` },
      body: JSON.stringify({ refreshToken: carol.refreshToken }),
    });
    expect(out.status).toBe(204);
    await eventually(async () => laptopSocket.isClosed(), 10_000, 'the signed-out session\'s socket to close');
    expect(phoneSocket.isClosed()).toBe(false);
    phoneSocket.send({ action: 'ping' });
    await phoneSocket.until((ms) => ms.some((m) => m.type === 'pong'), 10_000, 'pong on the other session');
    expect((await listUserConnections(carol.sub)).length).toBe(1);
    // The signed-out token cannot open a new one either.
    expect(await upgradeStatus(carol.accessToken)).toBe(401);
  });

  it('deletes a stale connection when the push answers 410, and a closed one on $disconnect', async () => {
    const live = await connect(alice.accessToken);
    const stale = `stale${randomUUID().replace(/-/g, '').slice(0, 10)}=`;
    await putConnection(alice.sub, stale);
    expect((await listUserConnections(alice.sub)).map((c) => c.connectionId)).toContain(stale);

    const jobId = `job-${randomUUID()}`;
    await publish({ type: 'job.progress', jobId, userId: alice.sub, status: 'running', progress: 5 });
    await live.until((ms) => ms.some((m) => m.type === 'job.updated' && m.jobId === jobId), 20_000, 'job.updated');
    await eventually(async () => !(await listUserConnections(alice.sub)).some((c) => c.connectionId === stale), 10_000, 'stale connection deleted');

    const before = (await listUserConnections(alice.sub)).length;
    await live.close();
    await eventually(async () => (await listUserConnections(alice.sub)).length === before - 1, 10_000, '$disconnect removed the record');
  });
});
