import { describe, expect, it } from '@jest/globals';
import { notifyJobEvent, type NotifierDeps } from '../../../lib/realtime/notify.ts';
import { sequenceStore } from '../../../lib/realtime/sequences.ts';
import { clip, event, memoryConnections, memorySequenceDb, recordingPusher } from './fakes.ts';

async function setup(getBalance?: (userId: string) => Promise<number>) {
  const connections = memoryConnections();
  await connections.put('user-a', 'a1');
  await connections.put('user-a', 'a2');
  await connections.put('user-b', 'b1');
  const pusher = recordingPusher();
  const deps: NotifierDeps = { connections, pusher, sequences: sequenceStore(memorySequenceDb()), getBalance };
  return { connections, pusher, deps };
}

describe('notifyJobEvent', () => {
  it("pushes an event only to its own user's connections", async () => {
    const { deps, pusher } = await setup();
    await notifyJobEvent(deps, event({ type: 'job.progress', jobId: 'ja', userId: 'user-a', status: 'running', stage: 'audio', progress: 30 }));
    expect(pusher.received.get('a1')).toHaveLength(1);
    expect(pusher.received.get('a2')).toHaveLength(1);
    expect(pusher.received.get('b1')).toBeUndefined();
  });

  it('numbers the messages of a job in order; clip.ready precedes job.finished, which counts the clips', async () => {
    const { deps, pusher } = await setup();
    const ids = { jobId: 'ja', userId: 'user-a' };
    await notifyJobEvent(deps, event({ type: 'job.requested', ...ids }));
    await notifyJobEvent(deps, event({ type: 'job.progress', ...ids, status: 'running', stage: 'render', progress: 80 }));
    await notifyJobEvent(deps, event({ type: 'stage.completed', ...ids, stage: 'render', clipId: 'c1', output: { clip: clip('c1') } }));
    await notifyJobEvent(deps, event({ type: 'job.finished', ...ids, status: 'succeeded', creditsCharged: 2 }));
    const got = pusher.received.get('a1') as { type: string; seq: number; clips?: number }[];
    expect(got.map((m) => [m.type, m.seq])).toEqual([
      ['job.updated', 1],
      ['job.updated', 2],
      ['clip.ready', 3],
      ['job.finished', 4],
    ]);
    expect(got[3]?.clips).toBe(1);
  });

  it('adds credits.changed after job.finished when a balance reader is wired', async () => {
    const asked: string[] = [];
    const { deps, pusher } = await setup(async (userId) => {
      asked.push(userId);
      return 41;
    });
    await notifyJobEvent(deps, event({ type: 'job.finished', jobId: 'ja', userId: 'user-a', status: 'succeeded', creditsCharged: 3 }));
    expect(asked).toEqual(['user-a']);
    expect((pusher.received.get('a2') as { type: string }[]).map((m) => m.type)).toEqual(['job.finished', 'credits.changed']);
    expect(pusher.received.get('a2')?.[1]).toMatchObject({ type: 'credits.changed', seq: 1, balance: 41 });
  });

  it('a redelivered event reaches the sockets again with the same seq (clients drop it)', async () => {
    const { deps, pusher } = await setup();
    const e = event({ type: 'job.progress', jobId: 'ja', userId: 'user-a', status: 'running', progress: 10 });
    await notifyJobEvent(deps, e);
    await notifyJobEvent(deps, e);
    expect((pusher.received.get('a1') as { seq: number }[]).map((m) => m.seq)).toEqual([1, 1]);
  });

  it('a connection subscribed to other jobs does not get this job, but still gets credits', async () => {
    const { deps, pusher, connections } = await setup(async () => 5);
    await connections.subscribe('user-a', 'a2', 'other-job');
    await notifyJobEvent(deps, event({ type: 'job.finished', jobId: 'ja', userId: 'user-a', status: 'cancelled', creditsCharged: 0 }));
    expect((pusher.received.get('a1') as { type: string }[]).map((m) => m.type)).toEqual(['job.finished', 'credits.changed']);
    expect((pusher.received.get('a2') as { type: string }[]).map((m) => m.type)).toEqual(['credits.changed']);
  });

  it('events that map to no message push nothing', async () => {
    const { deps, pusher } = await setup();
    const out = await notifyJobEvent(deps, event({ type: 'stage.requested', jobId: 'ja', userId: 'user-a', stage: 'probe' }));
    expect(out).toEqual([]);
    expect(pusher.received.size).toBe(0);
  });
});
