import { JobErrorCode } from '../../contracts/jobs.ts';
import { PermanentError } from '../../http/sqs.ts';
import { STAGE_TIMEOUT_SECONDS } from '../deadlines.ts';
import { keys } from '../keys.ts';
import type { StageWork } from './context.ts';

/** Takes the upload, or fetches the URL (SSRF-safe, streamed into S3) unless a retry finds it there. */
export const download: StageWork<'download'> = async ({ job, deps }) => {
  if (job.source.kind === 'upload') {
    const key = job.source.uploadKey ?? '';
    const bytes = await deps.storage.size(key);
    if (!bytes) throw new PermanentError(JobErrorCode.UPLOAD_NOT_FOUND, 'The uploaded file is missing or empty; upload it again');
    return { output: { sourceKey: key, bytes }, result: { artifacts: { sourceKey: key } } };
  }
  const key = keys.source(job.jobId);
  let bytes = await deps.storage.size(key);
  if (!bytes) {
    const timeoutMs = (STAGE_TIMEOUT_SECONDS.download - 60) * 1000;
    const res = await deps.media.downloadToS3(job.source.url ?? '', { bucket: deps.storage.bucket, key, timeoutMs });
    bytes = res.bytes;
  }
  return { output: { sourceKey: key, bytes }, result: { artifacts: { sourceKey: key } } };
};
