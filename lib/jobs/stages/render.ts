import fs from 'node:fs/promises';
import { JobErrorCode } from '../../contracts/jobs.ts';
import type { StageOutput } from '../../contracts/stage-table.ts';
import { PermanentError } from '../../http/sqs.ts';
import { keys } from '../keys.ts';
import type { ClipRecord } from '../store.ts';
import { artifact, loadTranscript, PRESIGN_SECONDS, scratch, type StageWork } from './context.ts';

/** Renders one clip of the fan-out (the runner read its record): video, thumbnail, SRT/VTT to S3. */
export const render: StageWork<'render'> = async (ctx) => {
  const { job, deps, options, limits } = ctx;
  const clip = ctx.clip;
  if (!clip) throw new PermanentError(JobErrorCode.INTERNAL, 'The clip to render does not exist');
  const started = Date.now();
  // "Rendering" is written while the work starts (it is only shown to the user); it is awaited
  // before any later write to the clip, so it never lands after "ready" or "failed".
  const marking = deps.store.updateClip(job.jobId, clip.clipId, { status: 'rendering' });
  marking.catch(() => undefined);
  const dir = await scratch(ctx, clip.clipId);
  try {
    // The transcript is read only when captions are wanted and there is one (job.transcriptSource).
    const wantsCaptions = options.captions && job.transcriptSource !== 'none';
    const transcript = wantsCaptions ? await loadTranscript(ctx) : undefined;
    const captions = transcript && transcript.source !== 'none' ? transcript : null;
    const input = await deps.storage.presignGet(artifact(job, 'sourceKey'), PRESIGN_SECONDS);
    const out = await deps.media.renderClip({
      input,
      start: clip.start,
      end: clip.end,
      aspect: options.aspect,
      captions,
      outDir: dir,
      maxHeight: limits.maxHeight,
      watermark: limits.watermark,
      // Stream copy when nothing needs re-encoding: fastest, cuts snap to keyframes.
      mode: options.aspect === 'source' && !captions && !limits.watermark ? 'copy' : 'reencode',
    });
    const id = [job.jobId, clip.clipId] as const;
    const uploaded: Partial<ClipRecord> = {
      videoKey: keys.clipVideo(...id),
      thumbnailKey: keys.clipThumbnail(...id),
      ...(out.srtPath ? { srtKey: keys.clipSrt(...id) } : {}),
      ...(out.vttPath ? { vttKey: keys.clipVtt(...id) } : {}),
    };
    await Promise.all([
      deps.storage.uploadFile(keys.clipVideo(...id), out.videoPath, 'video/mp4'),
      deps.storage.uploadFile(keys.clipThumbnail(...id), out.thumbnailPath, 'image/jpeg'),
      out.srtPath ? deps.storage.uploadFile(keys.clipSrt(...id), out.srtPath, 'application/x-subrip') : undefined,
      out.vttPath ? deps.storage.uploadFile(keys.clipVtt(...id), out.vttPath, 'text/vtt') : undefined,
    ]);
    const renderMs = Date.now() - started;
    await marking;
    await deps.store.updateClip(job.jobId, clip.clipId, { ...uploaded, status: 'ready', durationSeconds: out.durationSeconds, renderMs });
    return { output: clipOutput({ ...clip, ...uploaded, durationSeconds: out.durationSeconds, renderMs } as ClipRecord) };
  } finally {
    await marking.catch(() => undefined);
    await fs.rm(dir, { recursive: true, force: true });
  }
};

/** What render announces in stage.completed: the notifier turns `clip` into `clip.ready`. */
export function clipOutput(clip: ClipRecord): StageOutput<'render'> {
  return {
    clip: { id: clip.clipId, start: clip.start, end: clip.end, title: clip.title, reason: clip.reason, score: clip.score, transcript: clip.transcript },
    videoKey: clip.videoKey,
    durationSeconds: clip.durationSeconds,
    renderMs: clip.renderMs,
  };
}
