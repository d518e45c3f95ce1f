import { describe, expect, it } from '@jest/globals';
import { sequenceStore } from '../../../lib/realtime/sequences.ts';
import { memorySequenceDb } from './fakes.ts';

describe('sequenceStore', () => {
  it('numbers the messages of a stream 1, 2, 3 and keeps streams apart', async () => {
    const store = sequenceStore(memorySequenceDb());
    expect((await store.allocate('JOB#a', 'e1#job.updated')).seq).toBe(1);
    expect((await store.allocate('JOB#a', 'e2#job.updated')).seq).toBe(2);
    expect((await store.allocate('JOB#b', 'e3#job.updated')).seq).toBe(1);
    expect((await store.allocate('JOB#a', 'e4#job.updated')).seq).toBe(3);
  });

  it('gives a redelivered message its first number back and does not count it again', async () => {
    const db = memorySequenceDb();
    const store = sequenceStore(db);
    const first = await store.allocate('JOB#a', 'e1#clip.ready', 'c1');
    const again = await store.allocate('JOB#a', 'e1#clip.ready', 'c1');
    expect(again).toEqual(first);
    expect(db.counters.get('JOB#a')?.seq).toBe(1);
  });

  it('counts distinct clips only', async () => {
    const store = sequenceStore(memorySequenceDb());
    await store.allocate('JOB#a', 'e1#clip.ready', 'c1');
    await store.allocate('JOB#a', 'e2#clip.ready', 'c2');
    await store.allocate('JOB#a', 'e3#clip.ready', 'c2');
    expect((await store.allocate('JOB#a', 'e4#job.finished')).clips).toBe(2);
  });

  it('when two deliveries race, both use the number recorded first (a gap, never a duplicate)', async () => {
    const db = memorySequenceDb();
    // The racing delivery records seq 1 between our lookup and our conditional put.
    const racing = { ...db, getMessageSeq: db.getMessageSeq };
    let lookups = 0;
    racing.getMessageSeq = async (key) => {
      lookups++;
      if (lookups === 1) {
        const theirs = await db.incrementSequence('JOB#a');
        await db.putMessageSeqOnce(key, theirs);
        return undefined;
      }
      return db.getMessageSeq(key);
    };
    const got = await sequenceStore(racing).allocate('JOB#a', 'e1#job.updated');
    expect(got.seq).toBe(1);
    expect(db.counters.get('JOB#a')?.seq).toBe(2);
  });
});
