import { describe, expect, it } from '@jest/globals';
import type { Context } from 'aws-lambda';
import { notifierConsumer } from '../../../lib/realtime/consumer.ts';
import { sequenceStore } from '../../../lib/realtime/sequences.ts';
import type { NotifierDeps } from '../../../lib/realtime/notify.ts';
import { clip, event, memoryConnections, memorySequenceDb, recordingPusher, sdkError, sqsEventOf } from './fakes.ts';

const context = { awsRequestId: 'r', functionName: 'notifier', getRemainingTimeInMillis: () => 30000 } as unknown as Context;

describe('notifier consumer', () => {
  it('handles a batch in order, drops records that break the contract, reports only failed records', async () => {
    const connections = memoryConnections();
    await connections.put('user-a', 'a1');
    await connections.put('user-b', 'b1');
    const pusher = recordingPusher({ b1: sdkError('InternalServerError', 500) });
    const deps: NotifierDeps = { connections, pusher, sequences: sequenceStore(memorySequenceDb()) };
    const handler = notifierConsumer(() => deps);
    const ids = { jobId: 'ja', userId: 'user-a' };
    const sqs = sqsEventOf([
      event({ type: 'stage.completed', ...ids, stage: 'render', clipId: 'c1', output: { clip: clip('c1') } }),
      '{"type":"job.progress","not":"valid"}',
      event({ type: 'job.progress', jobId: 'jb', userId: 'user-b', status: 'running', progress: 5 }),
      event({ type: 'job.finished', ...ids, status: 'succeeded', creditsCharged: 1 }),
    ]);
    const res = await handler(sqs, context);
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: sqs.Records[2]?.messageId }]);
    const got = pusher.received.get('a1') as { type: string; seq: number }[];
    expect(got.map((m) => `${m.type}:${m.seq}`)).toEqual(['clip.ready:1', 'job.finished:2']);
  });
});
