import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, it, expect } from '@jest/globals';
import { parse } from 'yaml';
import { STAGE_TIMEOUT_SECONDS, retryDelaySeconds, stageDeadline, DEADLINE_FACTOR } from '../../../lib/jobs/deadlines.ts';
import { jobsRoutes } from '../../../lib/contracts/jobs.ts';
import { STAGES } from '../../../lib/contracts/job-events.ts';
import { derivedEventId } from '../../../lib/jobs/events.ts';
import { newJobId } from '../../../lib/db/job.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
const yaml = (file: string) => parse(fs.readFileSync(path.join(ROOT, file), 'utf8'), { customTags: [{ tag: '!Ref', resolve: (v: string) => v }, { tag: '!GetAtt', resolve: (v: string) => v }, { tag: '!Sub', resolve: (v: string) => v }, { tag: '!Join', collection: 'seq', resolve: (v: unknown) => v }, { tag: '!Equals', collection: 'seq', resolve: (v: unknown) => v }, { tag: '!If', collection: 'seq', resolve: (v: unknown) => v }] }) as Record<string, unknown>;

describe('pipeline configuration', () => {
  // The stage functions, queues and timeouts are generated from the stage table (resources/pipeline.cjs).
  type Mapping = { sqs: { arn: { 'Fn::GetAtt': string[] }; batchSize: string | number; functionResponseType: string } };
  type Fn = { handler: string; timeout: number | string; environment?: Record<string, string>; events: Mapping[] };
  const generated = createRequire(import.meta.url)(path.join(ROOT, 'resources/pipeline.cjs')) as {
    consumers: Record<string, number>;
    functions: (ctx: { resolveVariable: (v: string) => Promise<string> }) => Promise<Record<string, Fn>>;
  };
  const functionsOn = (stage: string) => generated.functions({ resolveVariable: async (v) => (v === 'sls:stage' ? stage : '') });

  it('stage deadlines use the function timeouts of serverless.yml custom.consumers', () => {
    expect((yaml('serverless.yml').custom as { consumers: string }).consumers).toBe('${file(resources/pipeline.cjs):consumers}');
    const consumers = generated.consumers;
    for (const [name, seconds] of Object.entries(STAGE_TIMEOUT_SECONDS)) expect([name, consumers[name]]).toEqual([name, seconds]);
  });

  it('every stage function timeout is its custom.consumers entry, and each consumes its own queue', async () => {
    const fns = await functionsOn('prod');
    for (const stage of STAGES) {
      const fn = fns[`stage${stage[0]!.toUpperCase()}${stage.slice(1)}`]!;
      expect(fn.timeout).toBe(generated.consumers[stage]);
      expect(fn.handler).toBe('functions/stages/stage.handler');
      expect(fn.environment).toEqual({ PIPELINE_STAGE: stage });
      // One mapping on AWS stages (Lambda runs the items of a fan-out side by side).
      expect(fn.events).toHaveLength(1);
      expect(fn.events[0]?.sqs?.arn['Fn::GetAtt']).toEqual([`${stage[0]!.toUpperCase()}${stage.slice(1)}Queue`, 'Arn']);
      expect(fn.events[0]?.sqs?.functionResponseType).toBe('ReportBatchItemFailures');
      expect(fn.events[0]?.sqs?.batchSize).toBe('${param:sqsBatchSize}');
    }
    // Render: the local stage polls the same queue with two loops.
    const local = await functionsOn('local');
    expect(local.stageRender?.events).toEqual([1, 2].map(() => ({ sqs: { arn: { 'Fn::GetAtt': ['RenderQueue', 'Arn'] }, batchSize: 1, functionResponseType: 'ReportBatchItemFailures' } })));
    expect(local.stageProbe?.events).toHaveLength(1);
    const fileFns = yaml('functions/stages.yml') as Record<string, Fn>;
    expect(fileFns.coordinator?.timeout).toBe('${self:custom.consumers.coordinator}');
    const dlqs = fns.jobsDeadLetter?.events.map((e) => e.sqs?.arn['Fn::GetAtt'][0]);
    expect(dlqs).toEqual(['DownloadQueueDlq', 'ProbeQueueDlq', 'AudioQueueDlq', 'TranscribeQueueDlq', 'SelectQueueDlq', 'RenderQueueDlq', 'FinalizeQueueDlq', 'CoordinatorQueueDlq']);
  });

  it('every route of functions/jobs.yml is in the jobsRoutes registry and vice versa', () => {
    const fns = yaml('functions/jobs.yml') as Record<string, { events: { httpApi: string }[] }>;
    const declared = Object.values(fns).flatMap((f) => f.events.map((e) => e.httpApi)).sort();
    expect(declared).toEqual(jobsRoutes.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('deadlines and retry delays', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    expect(stageDeadline('probe', now)).toBe(new Date(now.getTime() + 120 * DEADLINE_FACTOR * 1000).toISOString());
    expect(stageDeadline(null, now)).toBe('2026-01-01T00:15:00.000Z');
    expect([1, 2, 3, 4, 5].map((n) => retryDelaySeconds(n, 10))).toEqual([10, 20, 40, 80, 160]);
    expect(retryDelaySeconds(20, 10)).toBe(900);
  });

  it('derived event ids are deterministic and distinct per purpose; job ids sort by time', () => {
    expect(derivedEventId('e1', 'completed')).toBe(derivedEventId('e1', 'completed'));
    expect(derivedEventId('e1', 'completed')).not.toBe(derivedEventId('e1', 'failed'));
    expect(derivedEventId('e1', 'x')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const a = newJobId(1_700_000_000_000);
    const b = newJobId(1_700_000_000_001);
    expect(a < b).toBe(true);
    expect(a).toMatch(/^j[0-9a-z]{19}$/);
  });
});
