import { describe, expect, it } from '@jest/globals';
import { creditsChanged, planMessages } from '../../../lib/realtime/messages.ts';
import { pushMessageSchema, serverMessageSchema } from '../../../lib/contracts/realtime.ts';
import { clip, event } from './fakes.ts';

const ids = { jobId: 'job-1', userId: 'user-a' };

describe('planMessages: job events → client messages', () => {
  it('job.requested → job.updated queued at 0%', () => {
    const e = event({ type: 'job.requested', ...ids });
    const [m, ...rest] = planMessages(e);
    expect(rest).toHaveLength(0);
    expect(m?.build({ seq: 1, clips: 0 })).toEqual({
      type: 'job.updated', v: 1, seq: 1, at: e.at, jobId: 'job-1', status: 'queued', stage: null, progress: 0,
    });
  });

  it('job.progress → job.updated with status, stage and progress', () => {
    const e = event({ type: 'job.progress', ...ids, status: 'running', stage: 'transcribe', progress: 42 });
    const m = planMessages(e)[0]?.build({ seq: 7, clips: 0 });
    expect(m).toMatchObject({ type: 'job.updated', seq: 7, status: 'running', stage: 'transcribe', progress: 42, at: e.at });
  });

  it('job.cancelled → job.updated cancelled with unknown progress', () => {
    const m = planMessages(event({ type: 'job.cancelled', ...ids }))[0]?.build({ seq: 2, clips: 0 });
    expect(m).toMatchObject({ type: 'job.updated', status: 'cancelled', stage: null, progress: null });
  });

  it('render stage.completed with a clip → clip.ready with only the contract fields', () => {
    const e = event({ type: 'stage.completed', ...ids, stage: 'render', clipId: 'clip-9', output: { clip: { ...clip('clip-9'), videoKey: 'media/secret.mp4' } } });
    const [plan] = planMessages(e);
    expect(plan).toMatchObject({ type: 'clip.ready', clipId: 'clip-9', stream: 'JOB#job-1', jobId: 'job-1' });
    const m = plan?.build({ seq: 3, clips: 1 });
    expect(m).toEqual({ type: 'clip.ready', v: 1, seq: 3, at: e.at, jobId: 'job-1', clip: clip('clip-9') });
  });

  it('render stage.completed without a valid clip, other stages, stage.requested and stage.failed → nothing', () => {
    expect(planMessages(event({ type: 'stage.completed', ...ids, stage: 'render', output: { clip: { id: 'x' } } }))).toEqual([]);
    expect(planMessages(event({ type: 'stage.completed', ...ids, stage: 'download', output: {} }))).toEqual([]);
    expect(planMessages(event({ type: 'stage.requested', ...ids, stage: 'probe' }))).toEqual([]);
    expect(planMessages(event({ type: 'stage.failed', ...ids, stage: 'probe', error: { code: 'X', message: 'y' } }))).toEqual([]);
  });

  it('job.finished → job.finished with the clip count of the stream and the error when failed', () => {
    const e = event({ type: 'job.finished', ...ids, status: 'failed', creditsCharged: 0, error: { code: 'NO_AUDIO', message: 'No audio' } });
    const m = planMessages(e)[0]?.build({ seq: 9, clips: 2 });
    expect(m).toEqual({
      type: 'job.finished', v: 1, seq: 9, at: e.at, jobId: 'job-1', status: 'failed', clips: 2, creditsCharged: 0,
      error: { code: 'NO_AUDIO', message: 'No audio' },
    });
  });

  it('message keys are stable per event and message type; credits.changed is on the user stream', () => {
    const e = event({ type: 'job.finished', ...ids, status: 'succeeded', creditsCharged: 3 });
    expect(planMessages(e)[0]?.messageKey).toBe(`${e.eventId}#job.finished`);
    const c = creditsChanged(e, 17);
    expect(c).toMatchObject({ stream: 'USER#user-a', messageKey: `${e.eventId}#credits.changed` });
    expect(c.jobId).toBeUndefined();
    expect(c.build({ seq: 4, clips: 0 })).toEqual({ type: 'credits.changed', v: 1, seq: 4, at: e.at, balance: 17 });
  });

  it('the contract refuses messages without v/seq and accepts the replies', () => {
    expect(pushMessageSchema.safeParse({ type: 'credits.changed', balance: 1 }).success).toBe(false);
    expect(pushMessageSchema.safeParse({ type: 'credits.changed', v: 1, seq: 0, at: new Date().toISOString(), balance: 1 }).success).toBe(false);
    expect(serverMessageSchema.parse({ type: 'pong', v: 1, at: new Date().toISOString() }).type).toBe('pong');
  });
});
