import { beforeAll, describe, expect, it } from '@jest/globals';
import { packageTemplate, type CfnTemplate } from '../support/template.ts';
import { COORDINATOR_EVENT_TYPES, STAGES } from '../../lib/contracts/job-events.ts';

/** The prod template, built offline, checked for the properties the design promises. */
let t: CfnTemplate;
beforeAll(() => {
  t = packageTemplate('prod');
}, 180_000);

const ofType = (type: string) => Object.entries(t.Resources).filter(([, r]) => r.Type === type);
const ref = (v: unknown): string | undefined => {
  const o = v as Record<string, unknown>;
  if (o && 'Ref' in o) return o.Ref as string;
  const g = o?.['Fn::GetAtt'] as [string, string] | undefined;
  return g?.[0];
};

describe('prod CloudFormation template', () => {
  it('gives every work queue a dead-letter queue with maxReceiveCount >= 5', () => {
    const queues = ofType('AWS::SQS::Queue');
    const work = queues.filter(([id]) => !id.endsWith('Dlq'));
    expect(work.length).toBeGreaterThanOrEqual(STAGES.length + 2);
    for (const [id, q] of work) {
      const redrive = q.Properties.RedrivePolicy as { deadLetterTargetArn: unknown; maxReceiveCount: number } | undefined;
      expect({ id, hasRedrive: Boolean(redrive) }).toEqual({ id, hasRedrive: true });
      expect(redrive!.maxReceiveCount).toBeGreaterThanOrEqual(5);
      expect(ref(redrive!.deadLetterTargetArn)).toBe(`${id}Dlq`);
    }
  });

  it('sets each queue visibility timeout to at least 6x the timeout of the function it triggers', () => {
    const mappings = ofType('AWS::Lambda::EventSourceMapping');
    for (const [, m] of mappings) {
      const queueId = ref(m.Properties.EventSourceArn)!;
      const queue = t.Resources[queueId];
      if (queue?.Type !== 'AWS::SQS::Queue') continue;
      const fnId = ref(m.Properties.FunctionName)!;
      const timeout = Number(t.Resources[fnId]!.Properties.Timeout ?? 6);
      expect({ queueId, ok: Number(queue.Properties.VisibilityTimeout) >= 6 * timeout }).toEqual({ queueId, ok: true });
    }
  });

  it('reports partial batch failures on every SQS event source', () => {
    const sqsMappings = ofType('AWS::Lambda::EventSourceMapping').filter(([, m]) => t.Resources[ref(m.Properties.EventSourceArn)!]?.Type === 'AWS::SQS::Queue');
    for (const [id, m] of sqsMappings) {
      expect({ id, types: m.Properties.FunctionResponseTypes }).toEqual({ id, types: ['ReportBatchItemFailures'] });
    }
  });

  it('scopes every queue policy to the job-events topic by aws:SourceArn', () => {
    const policies = ofType('AWS::SQS::QueuePolicy');
    expect(policies.length).toBeGreaterThanOrEqual(STAGES.length + 2);
    for (const [, p] of policies) {
      const statements = (p.Properties.PolicyDocument as { Statement: { Condition?: { ArnEquals?: Record<string, unknown> } }[] }).Statement;
      for (const s of statements) expect(ref(s.Condition?.ArnEquals?.['aws:SourceArn'])).toBe('JobEventsTopic');
    }
  });

  it('subscribes queues with raw delivery and the filter policies of the event contract', () => {
    const subs = Object.fromEntries(ofType('AWS::SNS::Subscription').filter(([, s]) => s.Properties.Protocol === 'sqs').map(([id, s]) => [id, s.Properties]));
    for (const stage of STAGES) {
      const id = `${stage[0]!.toUpperCase()}${stage.slice(1)}QueueSubscription`;
      expect(subs[id]?.RawMessageDelivery).toBe(true);
      expect(subs[id]?.FilterPolicy).toEqual({ type: ['stage.requested'], stage: [stage] });
    }
    expect(subs.CoordinatorQueueSubscription?.FilterPolicy).toEqual({ type: COORDINATOR_EVENT_TYPES });
  });

  it('grants the Lambda role no wildcard actions', () => {
    const roles = ofType('AWS::IAM::Role');
    expect(roles.length).toBeGreaterThan(0);
    for (const [, role] of roles) {
      for (const policy of (role.Properties.Policies as { PolicyDocument: { Statement: { Action: string | string[] }[] } }[]) ?? []) {
        for (const s of policy.PolicyDocument.Statement) {
          for (const action of [s.Action].flat()) {
            expect(action).not.toBe('*');
            expect(action).not.toMatch(/:\*$/);
          }
        }
      }
    }
  });

  it('keeps prod data safe: table retained with PITR and deletion protection', () => {
    const [, table] = ofType('AWS::DynamoDB::Table')[0]!;
    expect(table.Properties.DeletionProtectionEnabled).toBe(true);
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
  });

  it('keeps the media bucket private with lifecycle rules for temporary objects', () => {
    const bucket = t.Resources.MediaBucket!;
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    const rules = (bucket.Properties.LifecycleConfiguration as { Rules: { Prefix?: string }[] }).Rules;
    expect(rules.map((r) => r.Prefix)).toEqual(expect.arrayContaining(['uploads/', 'tmp/']));
  });

  it('outputs every id a client needs', () => {
    for (const name of ['Region', 'UserPoolId', 'UserPoolClientId', 'UserPoolDomain', 'HttpApiUrl', 'MediaBucketName']) {
      expect(Object.keys(t.Outputs)).toContain(name);
    }
  });

  it('names resources by service and stage', () => {
    const [, table] = ofType('AWS::DynamoDB::Table')[0]!;
    expect(table.Properties.TableName).toBe('clipforge-prod-main');
    for (const [, q] of ofType('AWS::SQS::Queue')) expect(String(q.Properties.QueueName)).toMatch(/^clipforge-prod-/);
  });
});

describe('media tools on AWS', () => {
  it('attaches the media layer (ffmpeg, ffprobe, fonts) to every function and points the tools at it', () => {
    const layer = ofType('AWS::Lambda::LayerVersion');
    expect(layer.map(([id]) => id)).toContain('MediaLayer');
    const functions = ofType('AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThan(10);
    for (const [id, fn] of functions) {
      const layers = (fn.Properties.Layers as unknown[] | undefined) ?? [];
      expect({ id, hasLayer: layers.some((l) => ref(l) === 'MediaLayer') }).toEqual({ id, hasLayer: true });
      const env = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(env.FFMPEG_PATH).toBe('/opt/bin/ffmpeg');
      expect(env.FONTS_DIR).toBe('/opt/fonts');
    }
  });
});
