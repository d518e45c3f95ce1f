import { keys } from '../keys.ts';
import type { StageWork } from './context.ts';

/** The fan-in: writes the manifest of the ready clips and settles the credits (never above the hold). */
export const finalize: StageWork<'finalize'> = async ({ job, deps }) => {
  const clips = (await deps.store.listClips(job.jobId)).filter((c) => c.status === 'ready');
  const manifestKey = keys.manifest(job.jobId);
  await deps.storage.putJson(manifestKey, {
    jobId: job.jobId,
    source: job.source,
    durationSeconds: job.durationSeconds,
    transcriptSource: job.transcriptSource ?? null,
    selector: job.selector ?? null,
    clips: clips.map((c) => ({
      id: c.clipId, start: c.start, end: c.end, title: c.title, reason: c.reason, score: c.score, transcript: c.transcript,
      video: c.videoKey, thumbnail: c.thumbnailKey, srt: c.srtKey ?? null, vtt: c.vttKey ?? null, durationSeconds: c.durationSeconds,
    })),
  });
  // Charged on the probed duration, never more than the reservation the user agreed to.
  const actual = deps.billing.creditsForDuration(job.durationSeconds ?? 0);
  const creditsCharged = Math.min(actual, job.creditsReserved);
  await deps.billing.settleCredits({ userId: job.userId, jobId: job.jobId, actualCredits: creditsCharged });
  return { output: { manifestKey, creditsCharged, clipsReady: clips.length }, result: { artifacts: { manifestKey } } };
};
