import { Entity } from 'dynamodb-toolbox/entity';
import { item } from 'dynamodb-toolbox/schema/item';
import { string } from 'dynamodb-toolbox/schema/string';
import { number } from 'dynamodb-toolbox/schema/number';
import { set } from 'dynamodb-toolbox/schema/set';
import { GetItemCommand } from 'dynamodb-toolbox/entity/actions/get';
import { PutItemCommand } from 'dynamodb-toolbox/entity/actions/put';
import { UpdateItemCommand, $add } from 'dynamodb-toolbox/entity/actions/update';
import { isConditionCheckFailed } from 'dynamodb-toolbox/entity/actions/update';
import { AppTable, ttlIn } from './table.ts';

/**
 * Per-stream message counters for the real-time API (stream = `JOB#<jobId>` or `USER#<userId>`):
 * pk = RTSEQ#<stream>, sk = SEQ. `seq` is moved only by an atomic ADD. A job stream also
 * collects the ids of the clips it announced (a string set, so a redelivery adds nothing).
 */
export const SEQUENCE_TTL_SECONDS = 30 * 24 * 3600;

export const RealtimeSequenceEntity = new Entity({
  name: 'RtSequence',
  table: AppTable,
  schema: item({
    stream: string().key(),
    seq: number(),
    clipIds: set(string()).optional(),
    expiresAt: number(),
  }),
  computeKey: ({ stream }: { stream: string }) => ({ pk: `RTSEQ#${stream}`, sk: 'SEQ' }),
  timestamps: false,
});

/**
 * The sequence number given to one message of one job event (pk = RTMSG#<eventId>#<message type>):
 * a redelivered event gets the same `seq` back, so clients can drop the duplicate.
 */
export const MESSAGE_SEQ_TTL_SECONDS = 7 * 24 * 3600;

export const RealtimeMessageSeqEntity = new Entity({
  name: 'RtMessageSeq',
  table: AppTable,
  schema: item({
    messageKey: string().key(),
    seq: number(),
    clips: number(),
    expiresAt: number(),
  }),
  computeKey: ({ messageKey }: { messageKey: string }) => ({ pk: `RTMSG#${messageKey}`, sk: 'SEQ' }),
  timestamps: false,
});

export interface Allocated {
  seq: number;
  /** Clips announced on the stream so far (after this message). */
  clips: number;
}

/** Atomically takes the next number of a stream (and records a clip id when given). */
export async function incrementSequence(stream: string, clipId?: string): Promise<Allocated> {
  const { Attributes } = await RealtimeSequenceEntity.build(UpdateItemCommand)
    .item({
      stream,
      seq: $add(1),
      expiresAt: ttlIn(SEQUENCE_TTL_SECONDS),
      ...(clipId ? { clipIds: $add(new Set([clipId])) } : {}),
    })
    .options({ returnValues: 'ALL_NEW' })
    .send();
  if (!Attributes) throw new Error(`sequence ${stream} returned no attributes`);
  return { seq: Attributes.seq, clips: Attributes.clipIds?.size ?? 0 };
}

export async function getMessageSeq(messageKey: string): Promise<Allocated | undefined> {
  const { Item } = await RealtimeMessageSeqEntity.build(GetItemCommand).key({ messageKey }).options({ consistent: true }).send();
  return Item ? { seq: Item.seq, clips: Item.clips } : undefined;
}

/** Records the number given to a message; false when another delivery recorded one first. */
export async function putMessageSeqOnce(messageKey: string, allocated: Allocated): Promise<boolean> {
  try {
    await RealtimeMessageSeqEntity.build(PutItemCommand)
      .item({ messageKey, seq: allocated.seq, clips: allocated.clips, expiresAt: ttlIn(MESSAGE_SEQ_TTL_SECONDS) })
      .options({ condition: { attr: 'messageKey', exists: false } })
      .send();
    return true;
  } catch (err) {
    if (isConditionCheckFailed(err)) return false;
    throw err;
  }
}
