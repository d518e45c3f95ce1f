import fs from 'node:fs/promises';
import path from 'node:path';
import { transcriptSchema, emptyTranscript, type Transcript } from '../ai/types.ts';
import type { JobEventOf, Stage } from '../contracts/job-events.ts';
import { JobErrorCode, jobOptionsSchema, type JobOptions } from '../contracts/jobs.ts';
import { PermanentError } from '../http/sqs.ts';
import { logger } from '../http/logger.ts';
import { clipIdFor } from '../db/clip.ts';
import { derivedEventId } from './events.ts';
import { STAGE_TIMEOUT_SECONDS } from './deadlines.ts';
import type { AccountLimits, Deps, MediaInfo } from './ports.ts';
import { effectiveSpan, RangeOutOfBoundsError, shiftTranscript, transcriptWithin, type Span } from './range.ts';
import type { ClipRecord, JobRecord, StageResultPatch } from './store.ts';

/**
 * The stage runner and the work of each stage. A stage:
 *  1. reads the job; a finished or cancelled job, or one that moved past this stage, is skipped;
 *  2. records the attempt (conditional: the job must still be at this stage);
 *  3. does its work, resuming from artifacts a previous attempt left in S3 (deterministic keys);
 *  4. re-checks cancellation, records its timing, and publishes stage.completed.
 * A PermanentError (MediaError codes, limits) publishes stage.failed at once; anything else is
 * rethrown so SQS retries it with backoff, and after maxReceiveCount the DLQ handler fails the job.
 */

export type StageRequest = JobEventOf<'stage.requested'>;

export interface StageContext {
  job: JobRecord;
  event: StageRequest;
  deps: Deps;
  options: JobOptions;
  limits: AccountLimits;
  clip?: ClipRecord;
}

export interface StageOutcome {
  output: Record<string, unknown>;
  result?: StageResultPatch;
}

export type StageWork = (ctx: StageContext) => Promise<StageOutcome>;

export type StageRunResult = { status: 'completed' | 'failed' | 'skipped'; reason?: string; output?: Record<string, unknown> };

/** An input a previous stage should have produced is missing: retried, then dead-lettered. */
export class MissingArtifactError extends Error {
  override name = 'MissingArtifactError';
}

export const NO_TRANSCRIPT_NOTICE =
  'Transcripts need OPENAI_API_KEY or a captions track: this video has no captions track and no transcription provider is configured, so clips were cut on speech/silence boundaries and have no captions.';
export const NO_AUDIO_NOTICE = 'This video has no audio track: clips were cut without a transcript.';

export const keys = {
  source: (jobId: string) => `sources/${jobId}/source`,
  audio: (jobId: string) => `sources/${jobId}/audio.mp3`,
  transcript: (jobId: string) => `sources/${jobId}/transcript.json`,
  clipDir: (jobId: string, clipId: string) => `clips/${jobId}/${clipId}`,
  manifest: (jobId: string) => `clips/${jobId}/manifest.json`,
};

const PRESIGN_SECONDS = 3600;

function artifact(job: JobRecord, name: string): string {
  const key = job.artifacts[name];
  if (!key) throw new MissingArtifactError(`The job has no ${name} yet`);
  return key;
}

function mediaOf(job: JobRecord): MediaInfo {
  if (!job.media) throw new MissingArtifactError('The job has not been probed yet');
  return job.media as MediaInfo;
}

/** The part of the source this job works on (after probe: the range clamped to the media). */
function spanOf(job: JobRecord, durationSeconds = mediaOf(job).durationSeconds): Span {
  try {
    return effectiveSpan(durationSeconds, job.source.range);
  } catch (err) {
    if (err instanceof RangeOutOfBoundsError) throw new PermanentError(JobErrorCode.RANGE_OUT_OF_BOUNDS, err.message);
    throw err;
  }
}

async function loadTranscript(ctx: StageContext): Promise<Transcript> {
  const key = artifact(ctx.job, 'transcriptKey');
  return transcriptSchema.parse(await ctx.deps.storage.getJson(key));
}

async function scratch(ctx: StageContext, name: string): Promise<string> {
  const dir = path.join(ctx.deps.workDir, ctx.job.jobId, name);
  await fs.mkdir(dir, { recursive: true });
  return dir;
}

const download: StageWork = async ({ job, deps }) => {
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

const probeStage: StageWork = async ({ job, deps, limits }) => {
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

const audio: StageWork = async (ctx) => {
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

const transcribe: StageWork = async (ctx) => {
  const { job, deps, options } = ctx;
  const key = keys.transcript(job.jobId);
  const media = mediaOf(job);
  let transcript: Transcript | undefined;
  if (await deps.storage.size(key)) {
    transcript = transcriptSchema.parse(await deps.storage.getJson(key));
  } else {
    const url = await deps.storage.presignGet(artifact(job, 'sourceKey'), PRESIGN_SECONDS);
    const span = spanOf(job);
    for (const track of media.subtitleStreams) {
      const fromCaptions = await deps.media.extractSubtitleTrack(url, track.index).catch((err: unknown) => {
        logger.warn('captions track unusable', { err, index: track.index });
        return undefined;
      });
      const used = fromCaptions && span.partial ? transcriptWithin(fromCaptions, span) : fromCaptions;
      if (used?.segments.length) {
        transcript = used;
        break;
      }
    }
    if (!transcript && media.hasAudio && deps.ai.transcriptionAvailable()) {
      const dir = await scratch(ctx, 'transcribe');
      const local = path.join(dir, 'audio.mp3');
      try {
        await deps.storage.downloadToFile(artifact(job, 'audioKey'), local);
        const heard = await deps.ai.transcribe(local, options.language ? { language: options.language } : {});
        // The audio of a ranged job starts at the range start: stored transcripts are in source time.
        transcript = shiftTranscript(heard, span.startSeconds);
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    }
    transcript ??= emptyTranscript(media.durationSeconds);
    await deps.storage.putJson(key, transcript);
  }
  const notices = transcript.source !== 'none' ? [] : [media.hasAudio ? NO_TRANSCRIPT_NOTICE : NO_AUDIO_NOTICE];
  return {
    output: { transcriptKey: key, source: transcript.source, segments: transcript.segments.length },
    result: { artifacts: { transcriptKey: key }, transcriptSource: transcript.source, notices },
  };
};

const select: StageWork = async (ctx) => {
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

const render: StageWork = async (ctx) => {
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
    const prefix = keys.clipDir(job.jobId, clip.clipId);
    const uploaded: Partial<ClipRecord> = {
      videoKey: `${prefix}/clip.mp4`,
      thumbnailKey: `${prefix}/thumbnail.jpg`,
      ...(out.srtPath ? { srtKey: `${prefix}/captions.srt` } : {}),
      ...(out.vttPath ? { vttKey: `${prefix}/captions.vtt` } : {}),
    };
    await Promise.all([
      deps.storage.uploadFile(`${prefix}/clip.mp4`, out.videoPath, 'video/mp4'),
      deps.storage.uploadFile(`${prefix}/thumbnail.jpg`, out.thumbnailPath, 'image/jpeg'),
      out.srtPath ? deps.storage.uploadFile(`${prefix}/captions.srt`, out.srtPath, 'application/x-subrip') : undefined,
      out.vttPath ? deps.storage.uploadFile(`${prefix}/captions.vtt`, out.vttPath, 'text/vtt') : undefined,
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
export function clipOutput(clip: ClipRecord): Record<string, unknown> {
  return {
    clip: { id: clip.clipId, start: clip.start, end: clip.end, title: clip.title, reason: clip.reason, score: clip.score, transcript: clip.transcript },
    videoKey: clip.videoKey,
    durationSeconds: clip.durationSeconds,
    renderMs: clip.renderMs,
  };
}

const finalize: StageWork = async ({ job, deps }) => {
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

export const STAGE_WORK: Record<Stage, StageWork> = { download, probe: probeStage, audio, transcribe, select, render, finalize };

function parseLimits(raw: unknown): AccountLimits {
  const l = (raw ?? {}) as Partial<AccountLimits>;
  return {
    maxSourceSeconds: l.maxSourceSeconds ?? 15 * 60,
    maxClipsPerJob: l.maxClipsPerJob ?? 3,
    maxHeight: l.maxHeight ?? 1280,
    watermark: l.watermark ?? true,
    concurrentJobs: l.concurrentJobs ?? 1,
  };
}

async function completed(deps: Deps, event: StageRequest, output: Record<string, unknown>): Promise<void> {
  await deps.events.publish({
    type: 'stage.completed',
    jobId: event.jobId,
    userId: event.userId,
    stage: event.stage,
    ...(event.clipId ? { clipId: event.clipId } : {}),
    output,
    eventId: derivedEventId(event.eventId, 'completed'),
  });
}

/** Runs one stage.requested event (see the module comment). */
export async function runStage(event: StageRequest, deps: Deps, work: StageWork = STAGE_WORK[event.stage]): Promise<StageRunResult> {
  const stage = event.stage;
  if (stage === 'render' && !event.clipId) return { status: 'skipped', reason: 'render request without clipId' };
  // A render reads its clip alongside the job (one round trip less per clip).
  const [job, clip] = await Promise.all([
    deps.store.get(event.userId, event.jobId),
    stage === 'render' && event.clipId ? deps.store.getClip(event.jobId, event.clipId) : undefined,
  ]);
  if (!job) return { status: 'skipped', reason: 'no such job' };
  if (job.status !== 'running') return { status: 'skipped', reason: `job is ${job.status}` };
  if (job.stage !== stage) return { status: 'skipped', reason: `job is at ${job.stage ?? 'none'}, not ${stage}` };

  if (clip?.status === 'ready') {
    // Rendered before (the completion may have been lost): announce it again, do not redo it.
    await completed(deps, event, clipOutput(clip));
    return { status: 'completed', reason: 'already rendered', output: clipOutput(clip) };
  }

  const startedAt = deps.clock.now();
  // The clips of a render fan-out share one stage record: the first clip marks it running, the
  // others skip that write (the job was just read at this stage; the check after the work catches
  // a cancel in between).
  const alreadyRunning = stage === 'render' && (job.stages as Record<string, { status?: string }> | undefined)?.render?.status === 'running';
  if (!alreadyRunning && !(await deps.store.stageStarted(job, stage, startedAt.toISOString()))) {
    return { status: 'skipped', reason: 'job moved on before the stage started' };
  }

  let outcome: StageOutcome;
  try {
    const options = jobOptionsSchema.parse(job.options);
    outcome = await work({ job, event, deps, options, limits: parseLimits(job.limits), ...(clip ? { clip } : {}) });
  } catch (err) {
    if (!(err instanceof PermanentError)) throw err;
    logger.warn('stage failed permanently', { stage, code: err.code, message: err.message });
    if (clip) await deps.store.updateClip(job.jobId, clip.clipId, { status: 'failed', error: { code: err.code, message: err.message } });
    await deps.events.publish({
      type: 'stage.failed',
      jobId: event.jobId,
      userId: event.userId,
      stage,
      ...(event.clipId ? { clipId: event.clipId } : {}),
      error: { code: err.code, message: err.message },
      eventId: derivedEventId(event.eventId, 'failed'),
    });
    return { status: 'failed', reason: err.code };
  }

  // Cancelled (or failed elsewhere) while we worked: stop here, announce nothing.
  const after = await deps.store.get(job.userId, job.jobId);
  if (!after || after.status !== 'running') return { status: 'skipped', reason: `job became ${after?.status ?? 'missing'} during ${stage}` };

  const finishedAt = deps.clock.now();
  if (stage !== 'render') {
    const ms = finishedAt.getTime() - startedAt.getTime();
    await deps.store.stageSucceeded(job, stage, { finishedAt: finishedAt.toISOString(), ms }, outcome.result ?? {});
  }
  await completed(deps, event, outcome.output);
  return { status: 'completed', output: outcome.output };
}
