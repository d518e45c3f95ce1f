import middy from '@middy/core';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { jobEventSchema, type JobEvent } from '../contracts/job-events.ts';
import { logger, withLogScope } from './logger.ts';

/**
 * A permanent failure: retrying cannot help (bad input, a policy refusal). Stage handlers throw it to
 * fail the job at once; the consumer acknowledges the record instead of letting it retry to the DLQ.
 */
export class PermanentError extends Error {
  override name = 'PermanentError';
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** Parses an SQS record body (raw SNS delivery, or an SNS envelope) into a validated job event. */
export function parseJobEventRecord(record: Pick<SQSRecord, 'body'>): JobEvent {
  let body: unknown = JSON.parse(record.body);
  if (body && typeof body === 'object' && 'Type' in body && (body as { Type: string }).Type === 'Notification') {
    body = JSON.parse((body as unknown as { Message: string }).Message);
  }
  return jobEventSchema.parse(body);
}

export type JobEventHandler = (event: JobEvent, record: SQSRecord, context: Context) => Promise<void>;

export interface ConsumerOptions {
  /**
   * Called when a record failed with a retryable error, before it is reported as failed — e.g. to
   * push its next delivery back (ChangeMessageVisibility) for exponential backoff.
   */
  onRetryableFailure?: (record: SQSRecord, err: unknown) => Promise<void>;
  /** Handle the records one after another, in batch order (default: in parallel). */
  inOrder?: boolean;
  /**
   * Throw when every record failed (default true): serverless-offline-sqs ignores
   * batchItemFailures, so locally throwing is what gets a failed record redelivered.
   */
  throwOnFullBatchFailure?: boolean;
}

/**
 * An SQS-triggered job consumer: each record is validated against the job-event contract and
 * handled on its own; failed records are reported with ReportBatchItemFailures so only they are
 * retried. A record that does not match the contract can never succeed: it is logged and dropped.
 */
export function jobConsumer(handle: JobEventHandler, options: ConsumerOptions = {}) {
  // Built per invocation (processor and handler): nothing is shared between concurrent invocations.
  const recordHandlerFor = (context: Context) => async (record: SQSRecord): Promise<void> => {
    let event: JobEvent;
    try {
      event = parseJobEventRecord(record);
    } catch (err) {
      logger.error('dropping a record that does not match the job-event contract', { err, messageId: record.messageId });
      return;
    }
    // How long the record waited (publish → this handler): the queue hand-off latency, in every log line.
    const sent = Number(record.attributes?.SentTimestamp);
    const keys = { jobId: event.jobId, userId: event.userId, eventType: event.type, ...(sent ? { queuedMs: Date.now() - sent } : {}) };
    // Its own log scope: records handled in parallel never share keys.
    await withLogScope(keys, async () => {
      try {
        await handle(event, record, context);
      } catch (err) {
        if (!(err instanceof PermanentError) && options.onRetryableFailure) {
          await options.onRetryableFailure(record, err).catch((e: unknown) => logger.warn('could not delay the retry', { err: e }));
        }
        throw err;
      }
    });
  };
  return middy<SQSEvent, SQSBatchResponse, Error, Context>().handler(async (event, ctx) =>
    processPartialResponse(event, recordHandlerFor(ctx), new BatchProcessor(EventType.SQS), {
      context: ctx,
      processInParallel: !options.inOrder,
      throwOnFullBatchFailure: options.throwOnFullBatchFailure ?? true,
    }),
  );
}

/** A consumer for any SQS payload (DLQ consumers, etc.) with partial batch failures. */
export function sqsConsumer(handle: (record: SQSRecord) => Promise<void>) {
  return middy<SQSEvent, SQSBatchResponse, Error, Context>().handler(async (event, context) =>
    processPartialResponse(event, handle, new BatchProcessor(EventType.SQS), { context, throwOnFullBatchFailure: true }),
  );
}
