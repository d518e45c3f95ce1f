import { PublishCommand, PublishBatchCommand } from '@aws-sdk/client-sns';
import { randomUUID } from 'node:crypto';
import { sns } from '../aws/clients.ts';
import { config } from '../config/index.ts';
import { jobEventSchema, messageAttributesOf, JOB_EVENT_VERSION, type JobEvent } from '../contracts/job-events.ts';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type NewJobEvent = DistributiveOmit<JobEvent, 'version' | 'eventId' | 'at'> & { eventId?: string; at?: string };

/** Completes an event (version, eventId, timestamp) and validates it against the contract. */
export function makeEvent(e: NewJobEvent): JobEvent {
  return jobEventSchema.parse({ version: JOB_EVENT_VERSION, eventId: randomUUID(), at: new Date().toISOString(), ...e });
}

/** Publishes job events on the job-events topic with the attributes the filter policies use. */
export async function publish(...events: NewJobEvent[]): Promise<JobEvent[]> {
  const full = events.map(makeEvent);
  const TopicArn = config().JOB_EVENTS_TOPIC_ARN;
  if (full.length === 1) {
    const [e] = full as [JobEvent];
    await sns().send(new PublishCommand({ TopicArn, Message: JSON.stringify(e), MessageAttributes: messageAttributesOf(e) }));
    return full;
  }
  for (let i = 0; i < full.length; i += 10) {
    const chunk = full.slice(i, i + 10);
    const out = await sns().send(
      new PublishBatchCommand({
        TopicArn,
        PublishBatchRequestEntries: chunk.map((e, n) => ({
          Id: String(n),
          Message: JSON.stringify(e),
          MessageAttributes: messageAttributesOf(e),
        })),
      }),
    );
    if (out.Failed?.length) throw new Error(`SNS refused ${out.Failed.length} job events: ${out.Failed[0]?.Message ?? ''}`);
  }
  return full;
}
