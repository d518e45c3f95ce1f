/**
 * lib/http/logger.ts: every SQS record and every HTTP invocation logs with its own keys. Records of
 * one batch are handled in parallel; before log scopes they shared appended keys, so a line could
 * carry another job's jobId, and the HTTP userId key was never cleared.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { SQSEvent } from 'aws-lambda';
import { jobConsumer } from '../../../lib/http/sqs.ts';
import { logger, withLogScope } from '../../../lib/http/logger.ts';
import { publicRoute, json } from '../../../lib/http/http.ts';
import { jobRequested, sqsRecordOf } from '../../factories/job-events.ts';
import { apiEvent, lambdaContext } from '../../../dev/lambda-events.ts';

type Line = Record<string, unknown>;
let lines: Line[] = [];
let restore: () => void;

beforeAll(() => {
  logger.setLogLevel('INFO');
  // Powertools writes one JSON object per line to stdout.
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    for (const text of String(chunk).split('\n').filter(Boolean)) {
      try {
        lines.push(JSON.parse(text) as Line);
      } catch {
        // not a log line
      }
    }
    return true;
  });
  restore = () => spy.mockRestore();
});
afterAll(() => {
  restore();
  logger.setLogLevel('SILENT');
});

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('log scopes', () => {
  it('two records handled in parallel in one batch log their own jobId and userId', async () => {
    lines = [];
    const handler = jobConsumer(async (event) => {
      // Interleave: the first record's second line is written after the second record started.
      logger.info('started');
      await tick(event.jobId === 'job-a' ? 30 : 5);
      logger.info('finished');
    });
    const event: SQSEvent = {
      Records: [sqsRecordOf(jobRequested('job-a', 'user-a')), sqsRecordOf(jobRequested('job-b', 'user-b'))],
    } as SQSEvent;
    await handler(event, lambdaContext());
    const mine = lines.filter((l) => l.message === 'started' || l.message === 'finished');
    expect(mine).toHaveLength(4);
    for (const l of mine) expect(l.userId).toBe(l.jobId === 'job-a' ? 'user-a' : 'user-b');
    expect(mine.map((l) => `${String(l.jobId)}:${String(l.message)}`).sort()).toEqual(['job-a:finished', 'job-a:started', 'job-b:finished', 'job-b:started']);
    // Order proves they overlapped: b finished before a did.
    expect(mine.findIndex((l) => l.jobId === 'job-b' && l.message === 'finished')).toBeLessThan(mine.findIndex((l) => l.jobId === 'job-a' && l.message === 'finished'));
    // Nothing leaks past the batch.
    lines = [];
    logger.info('after the batch');
    expect(lines[0]).not.toHaveProperty('jobId');
  });

  it('keys appended inside an HTTP invocation end with it', async () => {
    lines = [];
    const handler = publicRoute({}, async () => {
      logger.appendKeys({ userId: 'someone' });
      logger.info('inside');
      return json(200, {});
    });
    await handler(apiEvent({ method: 'GET', path: '/x' }), lambdaContext());
    logger.info('outside');
    expect(lines.find((l) => l.message === 'inside')?.userId).toBe('someone');
    expect(lines.find((l) => l.message === 'outside')).not.toHaveProperty('userId');
  });

  it('nested scopes add to the keys of the scope they are in', async () => {
    lines = [];
    await withLogScope({ jobId: 'j' }, () => withLogScope({ clipId: 'c01' }, async () => logger.info('nested')));
    expect(lines.find((l) => l.message === 'nested')).toMatchObject({ jobId: 'j', clipId: 'c01' });
  });
});
