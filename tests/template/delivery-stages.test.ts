import { beforeAll, describe, it, expect } from '@jest/globals';
import { packageTemplate } from '../support/template.ts';

/**
 * `serverless package` succeeds offline for every deployed stage, and each template carries the
 * per-stage settings: CORS origins (production domains only in prod), log retention, throttling,
 * deletion protection + PITR in prod, and a CloudWatch alarm on every DLQ and on the 5xx rate.
 * (tests/support/template.ts reuses a build newer than every declaration file.)
 */
type Resource = { Type: string; Condition?: string; Properties: Record<string, unknown> };
type Template = { Resources: Record<string, Resource>; Outputs: Record<string, unknown>; Conditions?: Record<string, unknown> };

const STAGES = ['dev', 'staging', 'prod'] as const;
const PROD_ORIGIN = 'https://app.clipforge.example';
const templates: Partial<Record<(typeof STAGES)[number], Template>> = {};

beforeAll(() => {
  for (const stage of STAGES) templates[stage] = packageTemplate(stage) as Template;
}, 900_000); // ~30 s per stage on an idle machine; much more when the machine is busy

const tpl = (stage: (typeof STAGES)[number]): Template => {
  const t = templates[stage];
  if (!t) throw new Error(`no template for ${stage}`);
  return t;
};
const ofType = (t: Template, type: string) => Object.entries(t.Resources).filter(([, r]) => r.Type === type);
const refOf = (v: unknown): string | undefined => {
  const o = v as Record<string, unknown> | undefined;
  if (o && 'Ref' in o) return o.Ref as string;
  return (o?.['Fn::GetAtt'] as [string, string] | undefined)?.[0];
};

describe.each(STAGES)('serverless package --stage %s (offline)', (stage) => {
  it('builds a template with the HTTP API and the job queues', () => {
    const t = tpl(stage);
    expect(t.Resources.HttpApi?.Type).toBe('AWS::ApiGatewayV2::Api');
    expect(ofType(t, 'AWS::SQS::Queue').length).toBeGreaterThanOrEqual(18);
  });

  it('alarms on every dead-letter queue having a visible message', () => {
    const t = tpl(stage);
    const dlqs = ofType(t, 'AWS::SQS::Queue').map(([id]) => id).filter((id) => id.endsWith('Dlq'));
    expect(dlqs).toEqual(expect.arrayContaining(['DownloadQueueDlq', 'ProbeQueueDlq', 'AudioQueueDlq', 'TranscribeQueueDlq', 'SelectQueueDlq', 'RenderQueueDlq', 'FinalizeQueueDlq', 'CoordinatorQueueDlq', 'NotifierQueueDlq']));
    const alarms = ofType(t, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    for (const dlq of dlqs) {
      const alarm = alarms.find((a) => (a.Dimensions as { Name: string; Value: unknown }[] | undefined)?.some((d) => d.Name === 'QueueName' && refOf(d.Value) === dlq));
      expect({ dlq, alarm: alarm && { metric: alarm.MetricName, threshold: alarm.Threshold, op: alarm.ComparisonOperator, action: refOf((alarm.AlarmActions as unknown[])[0]) } }).toEqual({
        dlq,
        alarm: { metric: 'ApproximateNumberOfMessagesVisible', threshold: 0, op: 'GreaterThanThreshold', action: 'AlarmTopic' },
      });
    }
    expect(t.Resources.AlarmTopic?.Type).toBe('AWS::SNS::Topic');
  });

  it('alarms on the HTTP API 5xx rate', () => {
    const a = tpl(stage).Resources.HttpApi5xxRateAlarm?.Properties;
    const metrics = a?.Metrics as { Id: string; Expression?: string; MetricStat?: { Metric: { MetricName: string; Dimensions: { Value: unknown }[] } } }[];
    expect(metrics.map((m) => m.MetricStat?.Metric.MetricName ?? m.Expression)).toEqual(['5xx', 'Count', 'IF(requests > 0, 100 * errors / requests, 0)']);
    expect(refOf(metrics[0]?.MetricStat?.Metric.Dimensions[0]?.Value)).toBe('HttpApi');
    expect(a?.Threshold).toBe(stage === 'prod' ? 1 : 5);
  });

  it('allows CORS only from its own portal origins (production domains only in prod)', () => {
    const cors = tpl(stage).Resources.HttpApi?.Properties.CorsConfiguration as { AllowOrigins: string[] };
    expect(cors.AllowOrigins.length).toBeGreaterThan(0);
    if (stage === 'prod') expect(cors.AllowOrigins).toEqual([PROD_ORIGIN]);
    else {
      expect(cors.AllowOrigins).not.toContain(PROD_ORIGIN);
      expect(cors.AllowOrigins).toContain(`https://${stage}.app.clipforge.example`);
    }
    for (const o of cors.AllowOrigins) expect(o).not.toBe('*');
  });

  it('sets log retention, throttling, deletion protection and point-in-time recovery per stage', () => {
    const t = tpl(stage);
    const retention = ofType(t, 'AWS::Logs::LogGroup').map(([, g]) => g.Properties.RetentionInDays);
    expect(retention.length).toBeGreaterThan(0);
    expect(new Set(retention)).toEqual(new Set([{ dev: 7, staging: 14, prod: 90 }[stage]]));
    const routes = t.Resources.HttpApiStage?.Properties.DefaultRouteSettings as Record<string, unknown>;
    expect(routes).toEqual(expect.objectContaining({ ThrottlingBurstLimit: { dev: 50, staging: 200, prod: 1000 }[stage], ThrottlingRateLimit: { dev: 25, staging: 100, prod: 500 }[stage] }));
    const table = t.Resources.AppTable?.Properties as Record<string, unknown>;
    expect(table.DeletionProtectionEnabled).toBe(stage === 'prod');
    const isProd = (t.Conditions?.IsProd as { 'Fn::Equals': [string, string] })['Fn::Equals'];
    expect(isProd[0] === isProd[1]).toBe(stage === 'prod');
    expect(table.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: { 'Fn::If': ['IsProd', true, false] } });
  });

  it('gives the Lambdas the SSM path of the stage secrets, never the secret values', () => {
    const fns = ofType(tpl(stage), 'AWS::Lambda::Function');
    expect(fns.length).toBeGreaterThan(0);
    for (const [, fn] of fns) {
      const vars = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(vars.SECRETS_PATH).toBe(`/clipforge/${stage}/`);
      for (const secret of ['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET', 'OPENAI_API_KEY']) expect(vars[secret]).toBeUndefined();
    }
  });

  it('creates the custom API domain only when a certificate is configured', () => {
    const t = tpl(stage);
    expect(t.Resources.ApiDomainName?.Condition).toBe('HasApiDomain');
    expect((t.Resources.ApiDomainName?.Properties.DomainName as string)).toBe({ dev: 'api.dev.clipforge.example', staging: 'api.staging.clipforge.example', prod: 'api.clipforge.example' }[stage]);
  });
});
