import { beforeAll, describe, expect, it } from '@jest/globals';
import { packageTemplate, type CfnTemplate } from '../support/template.ts';
import { STAGES } from '../../lib/contracts/job-events.ts';

/** resources/iam.cjs as built into the prod template: one role per function group, least privilege. */
let t: CfnTemplate;
beforeAll(() => {
  t = packageTemplate('prod');
}, 180_000);

interface Statement {
  Sid?: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, string[]>>;
}
const statements = (roleId: string): Statement[] => {
  const role = t.Resources[roleId];
  expect(role?.Type).toBe('AWS::IAM::Role');
  return (role!.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((p) => p.PolicyDocument.Statement);
};
const actionsOf = (roleId: string) => statements(roleId).flatMap((s) => [s.Action].flat());
/** The statements that grant an action, with their resources flattened to strings for matching. */
const grants = (roleId: string, action: string) =>
  statements(roleId)
    .filter((s) => [s.Action].flat().includes(action))
    .map((s) => ({ resources: [s.Resource].flat().map((r) => JSON.stringify(r)), condition: s.Condition }));

const ROLES = ['HttpApiRole', 'MediaStageRole', 'PipelineRole', 'WebhooksRole'];

describe('IAM: one role per function group', () => {
  it('gives every function one of the group roles and creates no shared default role', () => {
    const fns = Object.entries(t.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
    const roleOf = Object.fromEntries(fns.map(([id, f]) => [id, (f.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0]]));
    expect(Object.keys(t.Resources).filter((id) => t.Resources[id]!.Type === 'AWS::IAM::Role').sort()).toEqual([...ROLES].sort());
    for (const stage of STAGES) expect(roleOf[`Stage${stage[0]!.toUpperCase()}${stage.slice(1)}LambdaFunction`]).toBe('MediaStageRole');
    expect(roleOf.JobsCreateLambdaFunction).toBe('HttpApiRole');
    expect(roleOf.AuthSigninLambdaFunction).toBe('HttpApiRole');
    expect(roleOf.CoordinatorLambdaFunction).toBe('PipelineRole');
    expect(roleOf.NotifierLambdaFunction).toBe('PipelineRole');
    expect(roleOf.WsConnectLambdaFunction).toBe('PipelineRole');
    expect(roleOf.JobsDeadLetterLambdaFunction).toBe('PipelineRole');
    expect(roleOf.StripeWebhookLambdaFunction).toBe('WebhooksRole');
  });

  it('grants no wildcard action and no wildcard resource except for X-Ray', () => {
    for (const role of ROLES) {
      for (const s of statements(role)) {
        for (const a of [s.Action].flat()) expect(a).not.toMatch(/^\*$|:\*$/);
        const resources = [s.Resource].flat();
        if (resources.includes('*')) expect([s.Action].flat().every((a) => a.startsWith('xray:'))).toBe(true);
      }
    }
  });

  it('keeps the media stages (untrusted media) away from Cognito, billing secrets, sockets and table-wide deletes', () => {
    const actions = actionsOf('MediaStageRole');
    expect(actions.filter((a) => a.startsWith('cognito-idp:'))).toEqual([]);
    expect(actions).not.toContain('execute-api:ManageConnections');
    expect(actions).not.toContain('s3:DeleteObject');
    // DeleteItem only on Powertools idempotency records, by leading key.
    const deletes = grants('MediaStageRole', 'dynamodb:DeleteItem');
    expect(deletes).toHaveLength(1);
    expect(deletes[0]!.condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['IDEMPOTENCY#*'] } });
    const ssm = grants('MediaStageRole', 'ssm:GetParameters').flatMap((g) => g.resources);
    expect(ssm).toHaveLength(1);
    expect(ssm[0]).toMatch(/parameter\/clipforge\/prod\/openai-api-key"/);
    // It consumes exactly the stage queues.
    const queues = grants('MediaStageRole', 'sqs:ReceiveMessage').flatMap((g) => g.resources);
    expect(queues.sort()).toEqual(STAGES.map((s) => JSON.stringify({ 'Fn::GetAtt': [`${s[0]!.toUpperCase()}${s.slice(1)}Queue`, 'Arn'] })).sort());
  });

  it('names exactly the secrets each group reads', () => {
    const secretsOf = (role: string) => grants(role, 'ssm:GetParameters').flatMap((g) => g.resources).map((r) => /parameter\/clipforge\/prod\/([a-z-]+)/.exec(r)?.[1]);
    expect(secretsOf('HttpApiRole')).toEqual(['stripe-secret-key']);
    expect(secretsOf('WebhooksRole')).toEqual(['stripe-secret-key', 'stripe-webhook-secret']);
    expect(secretsOf('PipelineRole')).toEqual([]);
    for (const role of ROLES) expect(actionsOf(role)).not.toContain('ssm:GetParametersByPath');
  });

  it('allows ManageConnections only on this stage WebSocket API', () => {
    for (const role of ['HttpApiRole', 'PipelineRole']) {
      const [g] = grants(role, 'execute-api:ManageConnections');
      expect(g!.resources).toEqual([JSON.stringify({ 'Fn::Sub': 'arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${WebsocketsApi}/*/@connections/*' })]);
    }
    expect(actionsOf('WebhooksRole')).not.toContain('execute-api:ManageConnections');
    expect(t.Resources.WebsocketsApi?.Type).toBe('AWS::ApiGatewayV2::Api');
  });

  it('scopes every data action to this stack: the table, the bucket, the topic, the user pool', () => {
    const allowed = [/"AppTable"/, /"MediaBucket"/, /"JobEventsTopic"/, /"UserPool"/, /Queue(Dlq)?"/, /parameter\/clipforge\/prod\//, /log-group:\/aws\/lambda\/clipforge-prod-\*/, /WebsocketsApi/];
    for (const role of ROLES) {
      for (const s of statements(role)) {
        if ([s.Action].flat().every((a) => a.startsWith('xray:'))) continue;
        for (const r of [s.Resource].flat()) expect({ role, sid: s.Sid, r: JSON.stringify(r), ok: allowed.some((re) => re.test(JSON.stringify(r))) }).toMatchObject({ ok: true });
      }
    }
    // Cognito: read-only, and only where it is used (admin user list, health).
    expect(actionsOf('HttpApiRole').filter((a) => a.startsWith('cognito-idp:')).sort()).toEqual(['cognito-idp:DescribeUserPool', 'cognito-idp:ListUsers']);
    for (const role of ['MediaStageRole', 'PipelineRole', 'WebhooksRole']) expect(actionsOf(role).filter((a) => a.startsWith('cognito-idp:'))).toEqual([]);
  });
});
