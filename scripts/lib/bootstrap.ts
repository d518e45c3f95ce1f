/**
 * Creates the local tables, topics, queues, subscriptions and bucket FROM THE SAME CloudFormation
 * declarations that deploy to AWS: `serverless print --stage local` resolves serverless.yml and
 * resources/*, and this file turns each supported AWS::* resource into the emulator's API call.
 * Idempotent: existing resources are left alone, so data survives restarts.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, SNSClient, SubscribeCommand, ListSubscriptionsByTopicCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

type Props = Record<string, unknown>;
interface CfnResource {
  Type: string;
  Condition?: string;
  Properties?: Props;
}

export interface LocalTemplate {
  region: string;
  resources: Record<string, CfnResource>;
  environment: Record<string, unknown>;
  tableName: string;
  bucketName: string;
  userPoolId: string;
  userPoolClientId: string;
  userPool: Props;
  userPoolClient: Props;
  groups: { GroupName: string; Description?: string; Precedence?: number }[];
}

export interface LocalResources {
  topicArn: string;
  queueUrls: Record<string, string>;
  summary: string;
}

const ACCOUNT = '000000000000';

/** Resolves serverless.yml for the local stage (offline, no AWS credentials needed). */
export function readTemplate(root: string, stage = 'local'): LocalTemplate {
  const r = spawnSync(process.execPath, [join(root, 'node_modules/serverless/bin/serverless.js'), 'print', '--stage', stage, '--format', 'json'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`serverless print failed:\n${r.stderr || r.stdout}`);
  const printed = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as {
    provider: { region: string; environment: Record<string, unknown> };
    resources: { Resources: Record<string, CfnResource>; Conditions?: Record<string, unknown> };
  };
  // Resources whose CloudFormation Condition is false on this stage do not exist here either.
  const conditions = printed.resources.Conditions ?? {};
  const resources = Object.fromEntries(
    Object.entries(printed.resources.Resources).filter(([, r]) => !r.Condition || evaluateCondition(conditions, r.Condition)),
  );
  const env = printed.provider.environment;
  const byType = (type: string) => Object.values(resources).filter((x) => x.Type === type);
  const str = (v: unknown, what: string) => {
    if (typeof v !== 'string') throw new Error(`${what} must be a literal on the local stage (got ${JSON.stringify(v)})`);
    return v;
  };
  return {
    region: printed.provider.region,
    resources,
    environment: env,
    tableName: str(env.TABLE_NAME, 'TABLE_NAME'),
    bucketName: str(env.MEDIA_BUCKET, 'MEDIA_BUCKET'),
    userPoolId: str(env.USER_POOL_ID, 'USER_POOL_ID'),
    userPoolClientId: str(env.USER_POOL_CLIENT_ID, 'USER_POOL_CLIENT_ID'),
    userPool: byType('AWS::Cognito::UserPool')[0]?.Properties ?? {},
    userPoolClient: byType('AWS::Cognito::UserPoolClient')[0]?.Properties ?? {},
    groups: byType('AWS::Cognito::UserPoolGroup').map((g) => g.Properties as LocalTemplate['groups'][number]),
  };
}

/** Evaluates Fn::Equals / Not / And / Or / Condition over literal values (what the local stage has). */
export function evaluateCondition(conditions: Record<string, unknown>, name: string): boolean {
  const evaluate = (v: unknown): unknown => {
    if (!v || typeof v !== 'object' || Array.isArray(v)) return v;
    const o = v as Record<string, unknown>;
    if ('Condition' in o) return evaluateCondition(conditions, o.Condition as string);
    if ('Fn::Equals' in o) {
      const [a, b] = (o['Fn::Equals'] as unknown[]).map(evaluate);
      return JSON.stringify(a) === JSON.stringify(b);
    }
    if ('Fn::Not' in o) return !evaluate((o['Fn::Not'] as unknown[])[0]);
    if ('Fn::And' in o) return (o['Fn::And'] as unknown[]).every((x) => evaluate(x) === true);
    if ('Fn::Or' in o) return (o['Fn::Or'] as unknown[]).some((x) => evaluate(x) === true);
    return false; // Ref to a parameter or anything unknown: treat as not available locally
  };
  if (!(name in conditions)) return false;
  return evaluate(conditions[name]) === true;
}

const QUEUE_ATTRIBUTES = ['VisibilityTimeout', 'MessageRetentionPeriod', 'DelaySeconds', 'ReceiveMessageWaitTimeSeconds', 'MaximumMessageSize'];

export async function bootstrap(
  t: LocalTemplate,
  endpoints: { DYNAMODB_ENDPOINT: string; FAUXQS_ENDPOINT: string },
  region: string,
): Promise<LocalResources> {
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const ddb = new DynamoDBClient({ region, endpoint: endpoints.DYNAMODB_ENDPOINT, credentials });
  const sns = new SNSClient({ region, endpoint: endpoints.FAUXQS_ENDPOINT, credentials });
  const sqs = new SQSClient({ region, endpoint: endpoints.FAUXQS_ENDPOINT, credentials });
  const s3 = new S3Client({ region, endpoint: endpoints.FAUXQS_ENDPOINT, credentials, forcePathStyle: true });

  const entries = Object.entries(t.resources);
  const physical = new Map<string, { ref: string; arn: string }>();
  const counts: Record<string, number> = {};
  const count = (k: string) => (counts[k] = (counts[k] ?? 0) + 1);

  // Names first, so Ref / Fn::GetAtt between resources resolve.
  for (const [id, res] of entries) {
    const p = res.Properties ?? {};
    if (res.Type === 'AWS::SQS::Queue') {
      const name = p.QueueName as string;
      physical.set(id, { ref: `${endpoints.FAUXQS_ENDPOINT}/${ACCOUNT}/${name}`, arn: `arn:aws:sqs:${region}:${ACCOUNT}:${name}` });
    } else if (res.Type === 'AWS::SNS::Topic') {
      const arn = `arn:aws:sns:${region}:${ACCOUNT}:${p.TopicName as string}`;
      physical.set(id, { ref: arn, arn });
    }
  }
  const resolve = (v: unknown): unknown => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      if ('Ref' in o) return physical.get(o.Ref as string)?.ref ?? fail(`Ref ${String(o.Ref)}`);
      if ('Fn::GetAtt' in o) {
        const [id, attr] = o['Fn::GetAtt'] as [string, string];
        if (attr !== 'Arn') fail(`Fn::GetAtt ${id}.${attr}`);
        return physical.get(id)?.arn ?? fail(`Fn::GetAtt ${id}.Arn`);
      }
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, resolve(x)]));
    }
    if (Array.isArray(v)) return v.map(resolve);
    return v;
  };

  // Tables
  for (const [, res] of entries.filter(([, r]) => r.Type === 'AWS::DynamoDB::Table')) {
    const p = res.Properties as Props;
    const TableName = p.TableName as string;
    try {
      await ddb.send(new DescribeTableCommand({ TableName }));
    } catch (e) {
      if (!(e instanceof ResourceNotFoundException)) throw e;
      await ddb.send(
        new CreateTableCommand({
          TableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: p.AttributeDefinitions,
          KeySchema: p.KeySchema,
          GlobalSecondaryIndexes: p.GlobalSecondaryIndexes,
        } as CreateTableCommandInput),
      );
      const ttl = p.TimeToLiveSpecification as { AttributeName: string; Enabled: boolean } | undefined;
      if (ttl?.Enabled) await ddb.send(new UpdateTimeToLiveCommand({ TableName, TimeToLiveSpecification: ttl }));
    }
    count('table');
  }

  // Buckets
  for (const [, res] of entries.filter(([, r]) => r.Type === 'AWS::S3::Bucket')) {
    const Bucket = (res.Properties as Props).BucketName as string;
    try {
      await s3.send(new CreateBucketCommand({ Bucket }));
    } catch (e) {
      if (!['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes((e as Error).name)) throw e;
    }
    count('bucket');
  }

  // Topics
  let topicArn = '';
  for (const [, res] of entries.filter(([, r]) => r.Type === 'AWS::SNS::Topic')) {
    const out = await sns.send(new CreateTopicCommand({ Name: (res.Properties as Props).TopicName as string }));
    topicArn ||= out.TopicArn ?? '';
    count('topic');
  }

  // Queues: dead-letter queues first so redrive targets exist.
  const queueUrls: Record<string, string> = {};
  const queues = entries.filter(([, r]) => r.Type === 'AWS::SQS::Queue');
  queues.sort(([, a], [, b]) => Number(Boolean(a.Properties?.RedrivePolicy)) - Number(Boolean(b.Properties?.RedrivePolicy)));
  for (const [id, res] of queues) {
    const p = resolve(res.Properties) as Props;
    const Attributes: Record<string, string> = {};
    for (const k of QUEUE_ATTRIBUTES) if (p[k] !== undefined) Attributes[k] = String(p[k]);
    if (p.RedrivePolicy) Attributes.RedrivePolicy = JSON.stringify(p.RedrivePolicy);
    const out = await sqs.send(new CreateQueueCommand({ QueueName: p.QueueName as string, Attributes }));
    queueUrls[id] = out.QueueUrl ?? '';
    count('queue');
  }

  // Subscriptions (raw delivery, filter policies) — skipped when an identical one exists.
  for (const [, res] of entries.filter(([, r]) => r.Type === 'AWS::SNS::Subscription' && r.Properties?.Protocol === 'sqs')) {
    const p = resolve(res.Properties) as Props;
    const existing = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: p.TopicArn as string }));
    if (!existing.Subscriptions?.some((s) => s.Endpoint === p.Endpoint)) {
      const Attributes: Record<string, string> = {};
      if (p.RawMessageDelivery !== undefined) Attributes.RawMessageDelivery = String(p.RawMessageDelivery);
      if (p.FilterPolicy) Attributes.FilterPolicy = JSON.stringify(p.FilterPolicy);
      if (p.FilterPolicyScope) Attributes.FilterPolicyScope = String(p.FilterPolicyScope);
      await sns.send(new SubscribeCommand({ TopicArn: p.TopicArn as string, Protocol: p.Protocol as string, Endpoint: p.Endpoint as string, Attributes }));
    }
    count('subscription');
  }

  for (const c of [ddb, sns, sqs, s3]) c.destroy();
  const summary = Object.entries(counts)
    .map(([k, n]) => `${n} ${k}${n === 1 ? '' : 's'}`)
    .join(', ');
  return { topicArn, queueUrls, summary };
}

function fail(what: string): never {
  throw new Error(`Cannot resolve ${what} locally: declare it in resources/ so the bootstrap can create it`);
}
