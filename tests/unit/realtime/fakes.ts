import { randomUUID } from 'node:crypto';
import type { SQSEvent } from 'aws-lambda';
import { makeEvent, type NewJobEvent } from '../../../lib/jobs/publisher.ts';
import type { JobEvent } from '../../../lib/contracts/job-events.ts';
import type { Allocated, ConnectionRecord, ConnectionStore, PostOutcome, Pusher } from '../../../lib/realtime/ports.ts';
import type { SequenceDb } from '../../../lib/realtime/sequences.ts';

/** In-memory ports for unit tests (no network). */
export function memoryConnections(): ConnectionStore & { all(): ConnectionRecord[] } {
  const rows = new Map<string, ConnectionRecord>();
  return {
    all: () => [...rows.values()],
    async put(userId, connectionId, session = {}) {
      const r: ConnectionRecord = { userId, connectionId, connectedAt: new Date().toISOString(), expiresAt: 2e9, jobIds: [], ...session };
      rows.set(connectionId, r);
      return r;
    },
    async find(connectionId) {
      return rows.get(connectionId);
    },
    async listByUser(userId) {
      return [...rows.values()].filter((r) => r.userId === userId);
    },
    async remove(userId, connectionId) {
      if (rows.get(connectionId)?.userId === userId) rows.delete(connectionId);
    },
    async subscribe(userId, connectionId, jobId) {
      const r = rows.get(connectionId);
      if (!r || r.userId !== userId) throw new Error('no such connection');
      if (!r.jobIds.includes(jobId)) r.jobIds = [...r.jobIds, jobId].sort();
      return r.jobIds;
    },
  };
}

export function memorySequenceDb(): SequenceDb & { counters: Map<string, { seq: number; clipIds: Set<string> }>; messages: Map<string, Allocated> } {
  const counters = new Map<string, { seq: number; clipIds: Set<string> }>();
  const messages = new Map<string, Allocated>();
  return {
    counters,
    messages,
    async getMessageSeq(key) {
      return messages.get(key);
    },
    async incrementSequence(stream, clipId) {
      const c = counters.get(stream) ?? { seq: 0, clipIds: new Set<string>() };
      c.seq += 1;
      if (clipId) c.clipIds.add(clipId);
      counters.set(stream, c);
      return { seq: c.seq, clips: c.clipIds.size };
    },
    async putMessageSeqOnce(key, allocated) {
      if (messages.has(key)) return false;
      messages.set(key, allocated);
      return true;
    },
  };
}

/** A pusher that records what each connection received; `outcomes` scripts special answers. */
export function recordingPusher(outcomes: Record<string, PostOutcome | Error> = {}): Pusher & { received: Map<string, unknown[]>; closed: string[] } {
  const received = new Map<string, unknown[]>();
  const closed: string[] = [];
  return {
    received,
    closed,
    async close(connectionId) {
      closed.push(connectionId);
    },
    async post(connectionId, data) {
      const scripted = outcomes[connectionId];
      if (scripted instanceof Error) throw scripted;
      if (scripted === 'gone') return 'gone';
      received.set(connectionId, [...(received.get(connectionId) ?? []), JSON.parse(data)]);
      return 'sent';
    },
  };
}

/** An SDK-like error with an HTTP status (what @aws-sdk throws). */
export function sdkError(name: string, status: number): Error {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
}

export const clip = (id = 'clip-1') => ({
  id,
  start: 12.5,
  end: 41,
  title: 'The best part',
  reason: 'A complete story with a punchline',
  score: 0.92,
  transcript: 'So here is the thing.',
});

export function event(e: NewJobEvent): JobEvent {
  return makeEvent(e);
}

/** An SQS event whose records carry the given job events as raw SNS deliveries. */
export function sqsEventOf(events: unknown[]): SQSEvent {
  return {
    Records: events.map((e) => ({
      messageId: randomUUID(),
      receiptHandle: randomUUID(),
      body: typeof e === 'string' ? e : JSON.stringify(e),
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(Date.now()),
        SenderId: 'local',
        ApproximateFirstReceiveTimestamp: String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:clipforge-local-notifier',
      awsRegion: 'us-east-1',
    })),
  };
}
