import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetTopicAttributesCommand } from '@aws-sdk/client-sns';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { DescribeUserPoolCommand } from '@aws-sdk/client-cognito-identity-provider';
import { config } from './config/index.ts';
import { dynamo, sns, s3, cognito } from './aws/clients.ts';
import { logger } from './http/logger.ts';

/** What the public sees of one dependency: whether it answered, and how fast. Why not is logged. */
export interface HealthCheck {
  ok: boolean;
  ms: number;
}
export interface HealthReport {
  status: 'ok' | 'degraded';
  stage: string;
  checks: Record<'dynamodb' | 'messaging' | 's3' | 'cognito', HealthCheck>;
}

async function probe(dependency: string, fn: () => Promise<unknown>, timeoutMs: number): Promise<HealthCheck> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, ms: Math.round(performance.now() - started) };
  } catch (err) {
    // The AWS error text (resource names, account ids, endpoints) stays in the logs.
    logger.warn('health check failed', { dependency, err });
    return { ok: false, ms: Math.round(performance.now() - started) };
  } finally {
    clearTimeout(timer);
  }
}

/** Reaches every dependency in parallel, each with its own deadline. */
export async function checkHealth(timeoutMs = 3000): Promise<HealthReport> {
  const c = config();
  const [dynamodb, messaging, s3Check, cognitoCheck] = await Promise.all([
    probe('dynamodb', () => dynamo().send(new DescribeTableCommand({ TableName: c.TABLE_NAME })), timeoutMs),
    probe('messaging', () => sns().send(new GetTopicAttributesCommand({ TopicArn: c.JOB_EVENTS_TOPIC_ARN })), timeoutMs),
    probe('s3', () => s3().send(new HeadBucketCommand({ Bucket: c.MEDIA_BUCKET })), timeoutMs),
    probe('cognito', () => cognito().send(new DescribeUserPoolCommand({ UserPoolId: c.USER_POOL_ID })), timeoutMs),
  ]);
  const checks = { dynamodb, messaging, s3: s3Check, cognito: cognitoCheck };
  return { status: Object.values(checks).every((x) => x.ok) ? 'ok' : 'degraded', stage: c.STAGE, checks };
}
