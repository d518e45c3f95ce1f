import { JobErrorCode } from '../../contracts/jobs.ts';
import { PermanentError } from '../../http/sqs.ts';
import { artifact, PRESIGN_SECONDS, spanOf, type StageWork } from './context.ts';

/** ffprobe: a video stream, the (range's) duration within the tier's limit, the credits it costs. */
export const probe: StageWork<'probe'> = async ({ job, deps, limits }) => {
  const url = await deps.storage.presignGet(artifact(job, 'sourceKey'), PRESIGN_SECONDS);
  const info = await deps.media.probe(url);
  if (!info.hasVideo) throw new PermanentError(JobErrorCode.NOT_A_VIDEO, 'The source has no video stream');
  const span = spanOf(job, info.durationSeconds);
  if (span.seconds > limits.maxSourceSeconds) {
    throw new PermanentError(
      JobErrorCode.VIDEO_TOO_LONG,
      `The ${span.partial ? 'range' : 'video'} is ${Math.ceil(span.seconds / 60)} min long; your plan allows up to ${Math.floor(limits.maxSourceSeconds / 60)} min`,
    );
  }
  // Billed on what is processed: the range when the job has one.
  const credits = deps.billing.creditsForDuration(span.seconds);
  return {
    output: { durationSeconds: span.seconds, sourceDurationSeconds: info.durationSeconds, credits, hasAudio: info.hasAudio, subtitleTracks: info.subtitleStreams.length },
    result: { durationSeconds: span.seconds, media: info },
  };
};
