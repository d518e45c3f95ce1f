import { clipIdFor } from '../../db/clip.ts';
import { shiftTranscript, transcriptWithin } from '../range.ts';
import type { ClipRecord } from '../store.ts';
import { loadTranscript, PRESIGN_SECONDS, spanOf, type StageWork } from './context.ts';

/** Picks the clips (OpenAI or the local heuristic) and stores their records once; outputs their ids. */
export const select: StageWork<'select'> = async (ctx) => {
  const { job, deps, options, limits } = ctx;
  const existing = await deps.store.listClips(job.jobId);
  if (existing.length) {
    return { output: { clipIds: existing.map((c) => c.clipId), selector: job.selector ?? 'unknown' } };
  }
  // Selection works in range time (0 = range start, like the audio), then clips go back to source time.
  const span = spanOf(job);
  const transcript = shiftTranscript(transcriptWithin(await loadTranscript(ctx), span), -span.startSeconds);
  const audioKey = job.artifacts.audioKey;
  const silences = audioKey ? await deps.media.detectSilences(await deps.storage.presignGet(audioKey, PRESIGN_SECONDS)) : [];
  const { clips: chosen, selector } = await deps.ai.selectClips(transcript, {
    clipCount: Math.min(options.clipCount, limits.maxClipsPerJob),
    minSeconds: options.minSeconds,
    maxSeconds: options.maxSeconds,
    durationSeconds: span.seconds,
    ...(options.prompt ? { prompt: options.prompt } : {}),
    silences,
  });
  const clips = chosen.map((c) => ({ ...c, start: c.start + span.startSeconds, end: c.end + span.startSeconds }));
  const records = clips.map(
    (c, index): ClipRecord =>
      ({
        jobId: job.jobId,
        clipId: clipIdFor(index),
        userId: job.userId,
        index,
        status: 'pending',
        start: c.start,
        end: c.end,
        title: c.title,
        reason: c.reason,
        score: c.score,
        transcript: c.transcript,
      }) as ClipRecord,
  );
  await deps.store.putClipsIfAbsent(records);
  const stored = await deps.store.listClips(job.jobId);
  return { output: { clipIds: stored.map((c) => c.clipId), selector }, result: { selector } };
};
