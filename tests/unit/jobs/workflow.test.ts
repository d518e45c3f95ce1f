import { describe, it, expect } from '@jest/globals';
import { nextStep, fanOutProgress, LINEAR_NEXT, STAGE_PROGRESS, type WorkflowJob } from '../../../lib/jobs/workflow.ts';
import { STAGES, type Stage } from '../../../lib/contracts/job-events.ts';
import { jobRequested, stageCompleted, stageFailed, jobCancelled } from '../../factories/job-events.ts';

const J = 'j1';
const job = (over: Partial<WorkflowJob> = {}): WorkflowJob => ({ status: 'running', stage: 'download', clipCount: 0, clipsDone: 0, clipsFailed: 0, ...over });

describe('nextStep: the job workflow', () => {
  it('job.requested starts a queued job at download', () => {
    const step = nextStep(job({ status: 'queued', stage: null }), jobRequested(J));
    expect(step).toEqual({
      kind: 'advance',
      from: { status: 'queued', stage: null },
      to: { status: 'running', stage: 'download', progress: STAGE_PROGRESS.download },
      actions: [{ type: 'requestStage', stage: 'download' }, { type: 'publishProgress' }],
    });
  });

  it('job.requested for a started job is a duplicate', () => {
    expect(nextStep(job(), jobRequested(J))).toMatchObject({ kind: 'ignore', reason: 'job already started', actions: [] });
  });

  const linear: [Stage, Stage][] = [
    ['download', 'probe'],
    ['probe', 'audio'],
    ['audio', 'transcribe'],
    ['transcribe', 'select'],
  ];
  it.each(linear)('%s completed → %s requested', (from, to) => {
    const step = nextStep(job({ stage: from }), stageCompleted(J, from));
    expect(step).toEqual({
      kind: 'advance',
      from: { status: 'running', stage: from },
      to: { status: 'running', stage: to, progress: STAGE_PROGRESS[to] },
      actions: [{ type: 'requestStage', stage: to }, { type: 'publishProgress' }],
    });
  });

  it('the linear order covers every stage', () => {
    expect(Object.keys(LINEAR_NEXT).length + 1).toBe(STAGES.length);
  });

  it('select completed fans out one render request per distinct clip', () => {
    const step = nextStep(job({ stage: 'select' }), stageCompleted(J, 'select', { output: { clipIds: ['c01', 'c02', 'c02', 'c03'] } }));
    expect(step).toEqual({
      kind: 'advance',
      from: { status: 'running', stage: 'select' },
      to: { status: 'running', stage: 'render', progress: STAGE_PROGRESS.render, clipCount: 3 },
      actions: [{ type: 'requestStage', stage: 'render', clipIds: ['c01', 'c02', 'c03'] }, { type: 'publishProgress' }],
    });
  });

  it('select with no clips fails the job with NO_CLIPS and a refund', () => {
    const step = nextStep(job({ stage: 'select' }), stageCompleted(J, 'select', { output: { clipIds: [] } }));
    expect(step).toMatchObject({
      kind: 'advance',
      to: { status: 'failed', error: { code: 'NO_CLIPS' }, creditsCharged: 0 },
      actions: [{ type: 'publishFinished' }, { type: 'publishProgress' }],
    });
  });

  it('select with a malformed output fails the job with INTERNAL', () => {
    const step = nextStep(job({ stage: 'select' }), stageCompleted(J, 'select', { output: { clipIds: 'c01' } }));
    expect(step).toMatchObject({ kind: 'advance', to: { status: 'failed', error: { code: 'INTERNAL' } } });
  });

  it('a rendered clip is counted (fan-in), a failed clip too', () => {
    expect(nextStep(job({ stage: 'render', clipCount: 3 }), stageCompleted(J, 'render', { clipId: 'c02' }))).toEqual({ kind: 'countClip', clipId: 'c02', ok: true });
    expect(nextStep(job({ stage: 'render', clipCount: 3 }), stageFailed(J, 'render', { clipId: 'c02' }))).toEqual({ kind: 'countClip', clipId: 'c02', ok: false });
  });

  it('a render completion without clipId is ignored', () => {
    expect(nextStep(job({ stage: 'render', clipCount: 1 }), stageCompleted(J, 'render'))).toMatchObject({ kind: 'ignore' });
  });

  it('clip.counted waits until every clip is counted, publishing progress', () => {
    const step = nextStep(job({ stage: 'render', clipCount: 3, clipsDone: 1, clipsFailed: 1 }), { type: 'clip.counted' });
    expect(step).toEqual({ kind: 'ignore', reason: 'clips still rendering', actions: [{ type: 'publishProgress' }] });
  });

  it('clip.counted with all clips in requests finalize (even if some failed)', () => {
    const step = nextStep(job({ stage: 'render', clipCount: 3, clipsDone: 2, clipsFailed: 1 }), { type: 'clip.counted' });
    expect(step).toMatchObject({ kind: 'advance', from: { stage: 'render' }, to: { status: 'running', stage: 'finalize' }, actions: [{ type: 'requestStage', stage: 'finalize' }, { type: 'publishProgress' }] });
  });

  it('clip.counted with every clip failed fails the job with ALL_CLIPS_FAILED', () => {
    const step = nextStep(job({ stage: 'render', clipCount: 2, clipsDone: 0, clipsFailed: 2 }), { type: 'clip.counted' });
    expect(step).toMatchObject({ kind: 'advance', to: { status: 'failed', error: { code: 'ALL_CLIPS_FAILED' } }, actions: [{ type: 'publishFinished' }, { type: 'publishProgress' }] });
  });

  it('clip.counted outside render is ignored', () => {
    expect(nextStep(job({ stage: 'finalize', clipCount: 1, clipsDone: 1 }), { type: 'clip.counted' })).toMatchObject({ kind: 'ignore', actions: [] });
  });

  it('finalize completed → succeeded with the charged credits, job.finished', () => {
    const step = nextStep(job({ stage: 'finalize' }), stageCompleted(J, 'finalize', { output: { creditsCharged: 2 } }));
    expect(step).toEqual({
      kind: 'advance',
      from: { status: 'running', stage: 'finalize' },
      to: { status: 'succeeded', stage: 'finalize', progress: 100, creditsCharged: 2 },
      actions: [{ type: 'publishFinished' }, { type: 'publishProgress' }],
    });
  });

  it.each(['download', 'probe', 'audio', 'transcribe', 'select', 'finalize'] as Stage[])('%s failed → job failed + refund', (stage) => {
    const step = nextStep(job({ stage }), stageFailed(J, stage, { code: 'CORRUPT_MEDIA', message: 'broken' }));
    expect(step).toEqual({
      kind: 'advance',
      from: { status: 'running', stage },
      to: { status: 'failed', stage, progress: 100, error: { code: 'CORRUPT_MEDIA', message: 'broken' }, creditsCharged: 0 },
      actions: [{ type: 'publishFinished' }, { type: 'publishProgress' }],
    });
  });

  it('a render failure without clipId fails the whole job', () => {
    expect(nextStep(job({ stage: 'render', clipCount: 2 }), stageFailed(J, 'render'))).toMatchObject({ kind: 'advance', to: { status: 'failed' } });
  });

  it('stale completions and failures (job already elsewhere) are ignored', () => {
    expect(nextStep(job({ stage: 'audio' }), stageCompleted(J, 'download'))).toMatchObject({ kind: 'ignore', actions: [] });
    expect(nextStep(job({ stage: 'audio' }), stageFailed(J, 'download'))).toMatchObject({ kind: 'ignore', actions: [] });
    expect(nextStep(job({ status: 'queued', stage: null }), stageCompleted(J, 'download'))).toMatchObject({ kind: 'ignore' });
  });

  it('a redelivered completion re-requests the next stage when its request was lost', () => {
    const j = job({ stage: 'probe', stages: { probe: { status: 'pending' } } });
    expect(nextStep(j, stageCompleted(J, 'download'))).toMatchObject({ kind: 'ignore', actions: [{ type: 'requestStage', stage: 'probe' }] });
    const started = job({ stage: 'probe', stages: { probe: { status: 'running' } } });
    expect(nextStep(started, stageCompleted(J, 'download'))).toMatchObject({ kind: 'ignore', actions: [] });
    const render = job({ stage: 'render', clipCount: 2, stages: { render: { status: 'pending' } } });
    expect(nextStep(render, stageCompleted(J, 'select', { output: { clipIds: ['c01', 'c02'] } }))).toMatchObject({
      kind: 'ignore',
      actions: [{ type: 'requestStage', stage: 'render', clipIds: ['c01', 'c02'] }],
    });
  });

  it('job.cancelled: refund ensured for a cancelled job, ignored otherwise', () => {
    expect(nextStep(job({ status: 'cancelled' }), jobCancelled(J))).toEqual({ kind: 'ignore', reason: 'job is already cancelled', actions: [{ type: 'refund', reason: 'cancelled' }] });
    expect(nextStep(job(), jobCancelled(J))).toMatchObject({ kind: 'ignore', actions: [] });
  });

  it('job.requested for a job cancelled before its credit hold was taken returns the hold', () => {
    expect(nextStep(job({ status: 'cancelled', stage: null }), jobRequested(J))).toEqual({ kind: 'ignore', reason: 'job is already cancelled', actions: [{ type: 'refund', reason: 'cancelled' }] });
    expect(nextStep(job({ status: 'failed', stage: null }), jobRequested(J))).toMatchObject({ kind: 'ignore', actions: [{ type: 'refund', reason: 'failed' }] });
  });

  it('events for a finished job change nothing; repairs are idempotent actions only', () => {
    expect(nextStep(job({ status: 'cancelled', stage: 'audio' }), stageCompleted(J, 'audio'))).toMatchObject({ kind: 'ignore', actions: [] });
    expect(nextStep(job({ status: 'failed', stage: 'probe' }), stageFailed(J, 'probe'))).toMatchObject({
      kind: 'ignore',
      actions: [{ type: 'refund' }, { type: 'publishFinished' }],
    });
    expect(nextStep(job({ status: 'succeeded', stage: 'finalize' }), stageCompleted(J, 'finalize'))).toMatchObject({ kind: 'ignore', actions: [{ type: 'publishFinished' }] });
    expect(nextStep(job({ status: 'succeeded', stage: 'finalize' }), jobRequested(J))).toMatchObject({ kind: 'ignore', actions: [] });
    expect(nextStep(job({ status: 'failed' }), { type: 'clip.counted' })).toMatchObject({ kind: 'ignore', actions: [] });
  });

  it('render progress runs from 55 to 95 as clips are counted', () => {
    expect(fanOutProgress({ stage: 'render', clipCount: 4, clipsDone: 0, clipsFailed: 0 })).toBe(55);
    expect(fanOutProgress({ stage: 'render', clipCount: 4, clipsDone: 1, clipsFailed: 1 })).toBe(75);
    expect(fanOutProgress({ stage: 'render', clipCount: 4, clipsDone: 4, clipsFailed: 0 })).toBe(95);
    expect(fanOutProgress({ stage: 'render', clipCount: 0, clipsDone: 0, clipsFailed: 0 })).toBe(55);
  });
});
