/**
 * The stage table (lib/contracts/stage-table.ts) is the one source of truth for the pipeline's
 * stages: its entries must form one chain, and everything derived from it must agree with it.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { STAGES } from '../../../lib/contracts/job-events.ts';
import { JobErrorCode } from '../../../lib/contracts/jobs.ts';
import { CONSUMER_TIMEOUT_SECONDS, FIRST_STAGE, LAST_STAGE, STAGE_DEFS, STAGE_TABLE, nextStage, outputField, stageActivity, stageLabel } from '../../../lib/contracts/stage-table.ts';
import { STAGE_TIMEOUT_SECONDS, stageDeadline, DEADLINE_FACTOR } from '../../../lib/jobs/deadlines.ts';
import { stageFromEnv } from '../../../lib/jobs/runtime.ts';
import { STAGE_WORK } from '../../../lib/jobs/stages/index.ts';
import { LINEAR_NEXT, STAGE_PROGRESS } from '../../../lib/jobs/workflow.ts';
import { STAGE_LABELS } from '../../../web/app/components/format.ts';
import { stageLabel as popupStageLabel } from '../../../extension/entrypoints/popup/ui.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
type Resource = { Type: string; Properties: Record<string, unknown> };
const pipeline = createRequire(import.meta.url)(path.join(ROOT, 'resources/pipeline.cjs')) as {
  consumers: Record<string, number>;
  CONSUMERS: { name: string }[];
  functions: (ctx: { resolveVariable: (v: string) => Promise<string> }) => Promise<Record<string, { environment?: Record<string, string>; memorySize?: number; description?: string }>>;
  resources: (ctx: { resolveVariable: (v: string) => Promise<string> }) => Promise<{ Resources: Record<string, Resource> }>;
};
const ctx = (stage: string) => ({ resolveVariable: async (v: string) => (v === 'sls:stage' ? stage : v === 'self:service' ? 'clipforge' : '') });
const pascal = (s: string) => s[0]!.toUpperCase() + s.slice(1);

describe('the stage table', () => {
  it('is one chain from the first stage to the last, visiting every stage once, in table order', () => {
    const visited: string[] = [];
    for (let s: (typeof STAGES)[number] | null = FIRST_STAGE; s; s = nextStage(s)) {
      expect(visited).not.toContain(s);
      visited.push(s);
    }
    expect(visited).toEqual([...STAGES]);
    expect(visited.at(-1)).toBe(LAST_STAGE);
    expect(STAGES).toEqual(STAGE_TABLE.map((s) => s.name));
  });

  it('gives progress that only grows, below 100', () => {
    const shares = STAGE_TABLE.map((s) => s.progress);
    for (let i = 1; i < shares.length; i++) expect(shares[i]!).toBeGreaterThan(shares[i - 1]!);
    expect(Math.max(...shares)).toBeLessThan(100);
  });

  it('names job error codes that exist for every fan-out failure, and a fan-out is never the first stage', () => {
    const codes = Object.values(JobErrorCode) as string[];
    for (const s of STAGE_TABLE) {
      if (!('fanOut' in s)) continue;
      expect(s.name).not.toBe(FIRST_STAGE);
      expect(codes).toContain(s.fanOut.noItems.code);
      expect(codes).toContain(s.fanOut.allFailed.code);
      // The field it fans out over is in the previous stage's output schema.
      const previous = STAGE_TABLE.find((p) => p.next === s.name)!;
      expect(Object.keys(previous.output.shape)).toContain(s.fanOut.itemsFrom);
      expect(s.fanOut.localPollers).toBeGreaterThanOrEqual(1);
    }
    // The last stage settles the job: its output says what was charged.
    expect(Object.keys(STAGE_DEFS[LAST_STAGE].output.shape)).toContain('creditsCharged');
  });

  it('has a body for every stage (the typecheck enforces it too)', () => {
    expect(Object.keys(STAGE_WORK).sort()).toEqual([...STAGES].sort());
    for (const s of STAGES) expect(typeof STAGE_WORK[s]).toBe('function');
  });

  it('reads output fields with the producing stage\'s own field schemas', () => {
    expect(outputField('select', { clipIds: ['c01', 'c02'] }, 'clipIds')).toEqual(['c01', 'c02']);
    expect(outputField('select', { clipIds: 'c01' }, 'clipIds')).toBeUndefined();
    expect(outputField('finalize', { creditsCharged: -1 }, 'creditsCharged')).toBeUndefined();
    expect(outputField('finalize', { creditsCharged: 3 }, 'creditsCharged')).toBe(3);
    expect(outputField('probe', {}, 'notAField')).toBeUndefined();
  });
});

describe('what is derived from the stage table', () => {
  it('the workflow: transitions and progress', () => {
    for (const s of STAGE_TABLE) {
      expect(LINEAR_NEXT[s.name]).toBe(s.next ?? undefined);
      expect(STAGE_PROGRESS[s.name]).toBe(s.progress);
    }
  });

  it('deadlines and custom.consumers: the table\'s timeouts', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    for (const s of STAGE_TABLE) {
      expect(STAGE_TIMEOUT_SECONDS[s.name]).toBe(s.timeoutSeconds);
      expect(pipeline.consumers[s.name]).toBe(s.timeoutSeconds);
      expect(stageDeadline(s.name, now)).toBe(new Date(now.getTime() + s.timeoutSeconds * DEADLINE_FACTOR * 1000).toISOString());
    }
    expect(pipeline.consumers).toMatchObject(CONSUMER_TIMEOUT_SECONDS);
  });

  it('one queue, DLQ, policy, filtered subscription and DLQ alarm per stage, VisibilityTimeout 6× the timeout', async () => {
    const { Resources } = await pipeline.resources(ctx('prod'));
    for (const s of STAGE_TABLE) {
      const id = `${pascal(s.name)}Queue`;
      expect(Resources[id]?.Properties.VisibilityTimeout).toBe(s.timeoutSeconds * 6);
      expect(Resources[id]?.Properties.QueueName).toBe(`clipforge-prod-${s.name}`);
      expect(Resources[`${id}Dlq`]?.Type).toBe('AWS::SQS::Queue');
      expect(Resources[`${id}Policy`]?.Type).toBe('AWS::SQS::QueuePolicy');
      expect(Resources[`${id}Subscription`]?.Properties.FilterPolicy).toEqual({ type: ['stage.requested'], stage: [s.name] });
      expect(Resources[`${id}DlqAlarm`]?.Properties.AlarmName).toBe(`clipforge-prod-${s.name}-dlq-not-empty`);
    }
    expect(pipeline.CONSUMERS.map((c) => c.name)).toEqual([...STAGES, 'coordinator', 'notifier']);
  });

  it('one function per stage with the table\'s memory, description and its PIPELINE_STAGE', async () => {
    const fns = await pipeline.functions(ctx('dev'));
    for (const s of STAGE_TABLE) {
      const fn = fns[`stage${pascal(s.name)}`];
      expect(fn).toMatchObject({ memorySize: s.memoryMB, description: s.description, environment: { PIPELINE_STAGE: s.name } });
      expect(stageFromEnv({ PIPELINE_STAGE: s.name })).toBe(s.name);
    }
  });

  it('a stage function without a valid PIPELINE_STAGE fails at cold start, naming the variable', () => {
    expect(() => stageFromEnv({})).toThrow(/PIPELINE_STAGE must name a stage/);
    expect(() => stageFromEnv({ PIPELINE_STAGE: 'analyze' })).toThrow(/got "analyze"/);
  });

  it('the portal\'s and the extension\'s labels', () => {
    for (const s of STAGE_TABLE) {
      expect(STAGE_LABELS[s.name]).toBe(s.label);
      expect(stageLabel(s.name)).toBe(s.label);
      expect(popupStageLabel(s.name)).toBe(s.activity);
      expect(stageActivity(s.name)).toBe(s.activity);
    }
    expect(popupStageLabel('unknown')).toBe('unknown');
  });
});
