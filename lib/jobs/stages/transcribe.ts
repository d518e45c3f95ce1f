import fs from 'node:fs/promises';
import path from 'node:path';
import { emptyTranscript, transcriptSchema, type Transcript } from '../../ai/types.ts';
import { logger } from '../../http/logger.ts';
import { keys } from '../keys.ts';
import { shiftTranscript, transcriptWithin } from '../range.ts';
import { artifact, mediaOf, PRESIGN_SECONDS, scratch, spanOf, type StageWork } from './context.ts';

export const NO_TRANSCRIPT_NOTICE =
  'Transcripts need OPENAI_API_KEY or a captions track: this video has no captions track and no transcription provider is configured, so clips were cut on speech/silence boundaries and have no captions.';
export const NO_AUDIO_NOTICE = 'This video has no audio track: clips were cut without a transcript.';

/** A captions track first, else the transcription provider, else an empty transcript (with a notice). */
export const transcribe: StageWork<'transcribe'> = async (ctx) => {
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
