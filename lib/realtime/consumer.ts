import type { JobEvent } from '../contracts/job-events.ts';
import { logger } from '../http/logger.ts';
import { jobConsumer } from '../http/sqs.ts';
import { notifyJobEvent, type NotifierDeps } from './notify.ts';

/**
 * The notifier's SQS consumer: lib/http/sqs.ts jobConsumer (contract-validated records, partial
 * batch failures), with the records handled one after another, in batch order, so the messages of
 * one batch get their sequence numbers in the order the events arrived. A failed push is not worth
 * a redelivery storm: a full-batch failure is reported, not thrown.
 */
export function notifierConsumer(deps: () => NotifierDeps) {
  return jobConsumer(
    async (event: JobEvent) => {
      const delivered = await notifyJobEvent(deps(), event);
      for (const d of delivered) logger.debug('pushed', { type: d.message.type, seq: d.message.seq, ...d.result });
    },
    { inOrder: true, throwOnFullBatchFailure: false },
  );
}
