import fs from 'node:fs/promises';
import path from 'node:path';
import { transcriptSchema, type Transcript } from '../../ai/types.ts';
import type { JobEventOf, Stage } from '../../contracts/job-events.ts';
import { JobErrorCode, type JobOptions } from '../../contracts/jobs.ts';
import type { StageOutput } from '../../contracts/stage-table.ts';
import { PermanentError } from '../../http/sqs.ts';
import type { AccountLimits, Deps, MediaInfo } from '../ports.ts';
import { effectiveSpan, RangeOutOfBoundsError, type Span } from '../range.ts';
import type { ClipRecord, JobRecord, StageResultPatch } from '../store.ts';

/** What a stage body gets: the job as read by the runner, its request, the ports, parsed options. */

export type StageRequest = JobEventOf<'stage.requested'>;

export interface StageContext {
  job: JobRecord;
  event: StageRequest;
  deps: Deps;
  options: JobOptions;
  limits: AccountLimits;
  /** The item of a fan-out stage (its record, read by id alongside the job). */
  clip?: ClipRecord;
}

export interface StageOutcome<S extends Stage = Stage> {
  /** Published in stage.completed; parsed with the stage's output schema by the runner. */
  output: StageOutput<S>;
  result?: StageResultPatch;
}

export type StageWork<S extends Stage = Stage> = (ctx: StageContext) => Promise<StageOutcome<S>>;

/** An input a previous stage should have produced is missing: retried, then dead-lettered. */
export class MissingArtifactError extends Error {
  override name = 'MissingArtifactError';
}

export const PRESIGN_SECONDS = 3600;

export function artifact(job: JobRecord, name: string): string {
  const key = job.artifacts[name];
  if (!key) throw new MissingArtifactError(`The job has no ${name} yet`);
  return key;
}

export function mediaOf(job: JobRecord): MediaInfo {
  if (!job.media) throw new MissingArtifactError('The job has not been probed yet');
  return job.media as MediaInfo;
}

/** The part of the source this job works on (after probe: the range clamped to the media). */
export function spanOf(job: JobRecord, durationSeconds = mediaOf(job).durationSeconds): Span {
  try {
    return effectiveSpan(durationSeconds, job.source.range);
  } catch (err) {
    if (err instanceof RangeOutOfBoundsError) throw new PermanentError(JobErrorCode.RANGE_OUT_OF_BOUNDS, err.message);
    throw err;
  }
}

export async function loadTranscript(ctx: StageContext): Promise<Transcript> {
  const key = artifact(ctx.job, 'transcriptKey');
  return transcriptSchema.parse(await ctx.deps.storage.getJson(key));
}

/** A scratch folder of this job's stage under the work dir; the caller removes it. */
export async function scratch(ctx: StageContext, name: string): Promise<string> {
  const dir = path.join(ctx.deps.workDir, ctx.job.jobId, name);
  await fs.mkdir(dir, { recursive: true });
  return dir;
}
