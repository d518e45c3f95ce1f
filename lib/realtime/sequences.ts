import { getMessageSeq, incrementSequence, putMessageSeqOnce, type Allocated } from '../db/realtime-sequence.ts';
import type { SequenceStore } from './ports.ts';

export interface SequenceDb {
  getMessageSeq(messageKey: string): Promise<Allocated | undefined>;
  incrementSequence(stream: string, clipId?: string): Promise<Allocated>;
  putMessageSeqOnce(messageKey: string, allocated: Allocated): Promise<boolean>;
}

/**
 * Sequence numbers that survive redelivery: a message seen before gets its recorded number back;
 * a new one takes the next number of its stream (atomic ADD) and records it with a conditional put.
 * If two deliveries of the same message race, the first record wins and both use its number (the
 * loser's number is skipped: a gap, never a duplicate).
 */
export function sequenceStore(db: SequenceDb = { getMessageSeq, incrementSequence, putMessageSeqOnce }): SequenceStore {
  return {
    async allocate(stream, messageKey, clipId) {
      const seen = await db.getMessageSeq(messageKey);
      if (seen) return seen;
      const next = await db.incrementSequence(stream, clipId);
      if (await db.putMessageSeqOnce(messageKey, next)) return next;
      const winner = await db.getMessageSeq(messageKey);
      if (!winner) throw new Error(`sequence record ${messageKey} vanished`);
      return winner;
    },
  };
}

/** Stream names: one per job, one per user (credits). */
export const jobStream = (jobId: string) => `JOB#${jobId}`;
export const userStream = (userId: string) => `USER#${userId}`;
