import { z } from 'zod';

/**
 * Transcripts and clip candidates. Both are stored in S3 as JSON between stages and validated with
 * these schemas when read back. Times are seconds from the start of the source video.
 */
export const transcriptSegmentSchema = z.object({
  start: z.number().nonnegative(),
  end: z.number().nonnegative(),
  text: z.string(),
});
export type TranscriptSegment = z.infer<typeof transcriptSegmentSchema>;

export const transcriptWordSchema = z.object({
  start: z.number().nonnegative(),
  end: z.number().nonnegative(),
  word: z.string(),
});
export type TranscriptWord = z.infer<typeof transcriptWordSchema>;

export const transcriptSchema = z.object({
  language: z.string().optional(),
  durationSeconds: z.number().nonnegative(),
  /** Where the text came from: an embedded/uploaded captions track, Whisper, or nothing at all. */
  source: z.enum(['captions', 'whisper', 'none']),
  segments: z.array(transcriptSegmentSchema),
  words: z.array(transcriptWordSchema).optional(),
});
export type Transcript = z.infer<typeof transcriptSchema>;

export const clipCandidateSchema = z.object({
  start: z.number().nonnegative(),
  end: z.number().positive(),
  title: z.string().min(1).max(200),
  reason: z.string().max(1000),
  /** 0–100, higher is better. */
  score: z.number().min(0).max(100),
  /** The transcript text inside the clip ('' when there is no transcript). */
  transcript: z.string(),
});
export type ClipCandidate = z.infer<typeof clipCandidateSchema>;

export const clipSelectionSchema = z.object({
  clips: z.array(clipCandidateSchema),
  selector: z.enum(['openai', 'heuristic']),
});
export type ClipSelection = z.infer<typeof clipSelectionSchema>;

/** A transcript with no text (no captions track and no transcription provider). */
export function emptyTranscript(durationSeconds: number): Transcript {
  return { durationSeconds, source: 'none', segments: [] };
}
