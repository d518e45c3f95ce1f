import middy from '@middy/core';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { JobEvent } from '../contracts/job-events.ts';
import { logger } from '../http/logger.ts';
import { parseJobEventRecord } from '../http/sqs.ts';
import { notifyJobEvent, type NotifierDeps } from './notify.ts';

/**
 * The notifier's SQS consumer. Like lib/http/sqs.ts jobConsumer (contract-validated records,
 * partial batch failures), but records are handled one after another, in batch order, so the
 * messages of one batch get their sequence numbers in the order the events arrived.
 */
export function notifierConsumer(deps: () => NotifierDeps) {
  const recordHandler = async (record: SQSRecord): Promise<void> => {
    let event: JobEvent;
    try {
      event = parseJobEventRecord(record);
    } catch (err) {
      logger.error('dropping a record that does not match the job-event contract', { err, messageId: record.messageId });
      return;
    }
    logger.appendKeys({ jobId: event.jobId, userId: event.userId, eventType: event.type });
    try {
      const delivered = await notifyJobEvent(deps(), event);
      for (const d of delivered) logger.debug('pushed', { type: d.message.type, seq: d.message.seq, ...d.result });
    } finally {
      logger.removeKeys(['jobId', 'userId', 'eventType']);
    }
  };
  return middy<SQSEvent, SQSBatchResponse, Error, Context>().handler(async (event, context) =>
    processPartialResponse(event, recordHandler, new BatchProcessor(EventType.SQS), { context, processInParallel: false, throwOnFullBatchFailure: false }),
  );
}
