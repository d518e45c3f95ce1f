import fs from 'node:fs/promises';
import path from 'node:path';
import { keys } from '../keys.ts';
import { artifact, mediaOf, PRESIGN_SECONDS, scratch, spanOf, type StageWork } from './context.ts';

/** The speech audio (MP3) of the source or its range, to S3; nothing when there is no audio track. */
export const audio: StageWork<'audio'> = async (ctx) => {
  const { job, deps } = ctx;
  if (!mediaOf(job).hasAudio) return { output: { audio: false } };
  const key = keys.audio(job.jobId);
  if (!(await deps.storage.size(key))) {
    const dir = await scratch(ctx, 'audio');
    const out = path.join(dir, 'audio.mp3');
    try {
      const url = await deps.storage.presignGet(artifact(job, 'sourceKey'), PRESIGN_SECONDS);
      // A ranged job's audio covers the range only (its times start at the range start).
      const span = spanOf(job);
      await deps.media.extractAudio(url, out, span.partial ? { startSeconds: span.startSeconds, endSeconds: span.endSeconds } : undefined);
      await deps.storage.uploadFile(key, out, 'audio/mpeg');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }
  return { output: { audioKey: key }, result: { artifacts: { audioKey: key } } };
};
