import { ChangeMessageVisibilityCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { SQSRecord } from 'aws-lambda';
import { sqs } from '../aws/clients.ts';
import { config, isLocalStage } from '../config/index.ts';
import { GROUP_SECRETS } from '../config/secret-names.ts';
import { ensureSecrets } from '../config/secrets.ts';
import { STAGES, stageSchema, type JobEvent, type Stage } from '../contracts/job-events.ts';
import { idempotencyPersistence } from '../db/idempotency.ts';
import { jobConsumer, parseJobEventRecord, sqsConsumer } from '../http/sqs.ts';
import { logger } from '../http/logger.ts';
import { productionDeps } from './adapters.ts';
import { coordinate } from './coordinator.ts';
import { retryDelaySeconds } from './deadlines.ts';
import { handleDeadLetter, sweepStuckJobs } from './failures.ts';
import { runStage, type StageRunResult } from './runner.ts';
import type { StageRequest } from './stages/index.ts';

/** Lambda entry points of the pipeline, built once per container from the production deps. */

const queueUrls = new Map<string, string>();

async function queueUrlOf(arn: string): Promise<string> {
  const cached = queueUrls.get(arn);
  if (cached) return cached;
  const [, , , region, account, name] = arn.split(':');
  if (!name) throw new Error(`Not a queue ARN: ${arn}`);
  const url = isLocalStage()
    ? ((await sqs().send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl ?? '')
    : `https://sqs.${region}.amazonaws.com/${account}/${name}`;
  queueUrls.set(arn, url);
  return url;
}

/** Exponential backoff: the failed record becomes visible again after base·2^(n-1) seconds. */
export async function delayRetry(record: SQSRecord): Promise<void> {
  const receives = Number(record.attributes?.ApproximateReceiveCount ?? '1') || 1;
  const delay = retryDelaySeconds(receives, isLocalStage() ? 1 : 10);
  await sqs().send(
    new ChangeMessageVisibilityCommand({ QueueUrl: await queueUrlOf(record.eventSourceARN), ReceiptHandle: record.receiptHandle, VisibilityTimeout: delay }),
  );
}

/** The stage a stage function runs: its PIPELINE_STAGE (set per function by resources/pipeline.cjs). */
export function stageFromEnv(env: NodeJS.ProcessEnv = process.env): Stage {
  const parsed = stageSchema.safeParse(env.PIPELINE_STAGE);
  if (!parsed.success) throw new Error(`PIPELINE_STAGE must name a stage of lib/contracts/stage-table.ts (${STAGES.join(', ')}); got ${JSON.stringify(env.PIPELINE_STAGE ?? null)}`);
  return parsed.data;
}

/**
 * A stage consumer: Powertools idempotency keyed on the event's eventId (a copy delivered twice,
 * or in parallel, runs once; the second waits and gets the first one's result) around runStage.
 */
export function stageHandler(stage: Stage) {
  const idempotencyConfig = new IdempotencyConfig({ eventKeyJmesPath: 'eventId', expiresAfterSeconds: 24 * 3600 });
  let run: ((event: StageRequest) => Promise<StageRunResult>) | undefined;
  return jobConsumer(
    async (event, _record, context) => {
      if (event.type !== 'stage.requested' || event.stage !== stage) {
        logger.warn('not an event for this stage', { type: event.type });
        return;
      }
      const t0 = Date.now();
      // The OpenAI key (transcribe, select) from SSM on AWS stages; a no-op locally.
      await ensureSecrets(GROUP_SECRETS.media);
      idempotencyConfig.registerLambdaContext(context);
      run ??= makeIdempotent((e: StageRequest) => runStage(e, productionDeps()), {
        persistenceStore: idempotencyPersistence(`stage-${stage}`),
        config: idempotencyConfig,
      });
      const result = await run(event);
      logger.info('stage handled', { stage, ...result, output: undefined, handlerMs: Date.now() - t0 });
    },
    { onRetryableFailure: delayRetry },
  );
}

export const coordinatorHandler = () =>
  jobConsumer(
    async (event) => {
      const outcome = await coordinate(event, productionDeps());
      logger.info('coordinated', { outcome, type: event.type });
    },
    { onRetryableFailure: delayRetry },
  );

/** Dead-letter queues of every job queue: the job fails and its credits are refunded. */
export const deadLetterHandler = () =>
  sqsConsumer(async (record) => {
    let event: JobEvent;
    try {
      event = parseJobEventRecord(record);
    } catch (err) {
      logger.error('dead letter that is not a job event; dropping it', { err, messageId: record.messageId });
      return;
    }
    const outcome = await handleDeadLetter(event, productionDeps());
    logger.warn('dead letter handled', { jobId: event.jobId, type: event.type, outcome, queue: record.eventSourceARN });
  });

export const sweeperHandler = () => async (): Promise<{ checked: number; failed: string[] }> => {
  config();
  return sweepStuckJobs(productionDeps());
};
