import type { Transcript, ClipCandidate } from '../ai/types.ts';
import type { JobEvent } from '../contracts/job-events.ts';
import type { NewJobEvent } from './publisher.ts';
import type { JobStore } from './store.ts';

/**
 * The ports the orchestration depends on. Production wiring (lib/jobs/adapters.ts) binds them to
 * lib/media, lib/ai, lib/billing, S3 and SNS; unit tests pass in-memory fakes.
 */
/** ffprobe's view of a source (one definition, in lib/media; a type, so no runtime coupling). */
export type { MediaInfo } from '../media/ffmpeg.ts';
import type { MediaInfo } from '../media/ffmpeg.ts';

export interface RenderInput {
  input: string;
  start: number;
  end: number;
  aspect: 'source' | '9:16' | '1:1';
  captions: Transcript | null;
  outDir: string;
  maxHeight?: number;
  watermark?: boolean;
  mode?: 'reencode' | 'copy';
}
export interface RenderOutput {
  videoPath: string;
  srtPath?: string;
  vttPath?: string;
  thumbnailPath: string;
  durationSeconds: number;
}

export interface MediaPort {
  /** ffprobe of a local path or an URL we trust (our own bucket). */
  probe(input: string): Promise<MediaInfo>;
  /** ffprobe of an untrusted URL, every connection made through the SSRF-safe fetcher. */
  probeRemote(url: string): Promise<MediaInfo>;
  /** Streams an untrusted URL into S3 (SSRF-safe; byte cap and allow-list from config). */
  downloadToS3(url: string, opts: { bucket: string; key: string; timeoutMs: number }): Promise<{ bytes: number; contentType?: string }>;
  /** With a span, only that part (seconds of the source); the MP3's times then start at span.startSeconds. */
  extractAudio(input: string, outPath: string, span?: { startSeconds: number; endSeconds: number }): Promise<{ bytes: number; durationSeconds: number }>;
  extractSubtitleTrack(input: string, streamIndex: number): Promise<Transcript>;
  detectSilences(input: string): Promise<{ start: number; end: number }[]>;
  renderClip(opts: RenderInput): Promise<RenderOutput>;
}

export interface AiPort {
  transcriptionAvailable(): boolean;
  transcribe(audioPath: string, opts: { language?: string }): Promise<Transcript>;
  selectClips(
    transcript: Transcript,
    opts: { clipCount: number; minSeconds: number; maxSeconds: number; durationSeconds: number; prompt?: string; silences?: { start: number; end: number }[] },
  ): Promise<{ clips: ClipCandidate[]; selector: string }>;
}

export interface AccountLimits {
  maxSourceSeconds: number;
  maxClipsPerJob: number;
  maxHeight: number;
  watermark: boolean;
  concurrentJobs: number;
}

export interface BillingPort {
  creditsForDuration(seconds: number): number;
  /** Throws the 402 PaymentRequiredError when the balance is short. */
  reserveCredits(input: { userId: string; jobId: string; credits: number }): Promise<unknown>;
  settleCredits(input: { userId: string; jobId: string; actualCredits: number }): Promise<unknown>;
  refundCredits(input: { userId: string; jobId: string; reason: string }): Promise<unknown>;
  getBalance(userId: string): Promise<number>;
  getAccount(userId: string): Promise<{ tier: string; limits: AccountLimits }>;
}

export interface StoragePort {
  bucket: string;
  /** A short-lived GET URL (ffmpeg reads sources through it with range requests). */
  presignGet(key: string, expiresInSeconds: number): Promise<string>;
  /** Streams a local file to S3 (multipart). */
  uploadFile(key: string, path: string, contentType: string): Promise<void>;
  putJson(key: string, value: unknown): Promise<void>;
  getJson(key: string): Promise<unknown>;
  downloadToFile(key: string, path: string): Promise<void>;
  /** Size in bytes, or undefined when the object does not exist. */
  size(key: string): Promise<number | undefined>;
  /**
   * A multipart upload of exactly `totalBytes` in parts of `partSize` (the last one the rest): each
   * part's URL binds its Content-Length (S3 refuses another length), and the declared total is
   * stored on the object (`declaredBytes`) for the check at completion.
   */
  createMultipartUpload(key: string, contentType: string, plan: { totalBytes: number; partSize: number }, expiresInSeconds: number): Promise<{ uploadId: string; urls: string[] }>;
  /** Size and declared size of an object, or undefined when it does not exist. */
  head(key: string): Promise<{ bytes: number; declaredBytes?: number } | undefined>;
  remove(key: string): Promise<void>;
  completeMultipartUpload(key: string, uploadId: string, parts: { partNumber: number; etag: string }[]): Promise<void>;
}

export interface EventsPort {
  publish(...events: NewJobEvent[]): Promise<JobEvent[]>;
}

export interface Clock {
  now(): Date;
}

export interface Deps {
  store: JobStore;
  events: EventsPort;
  billing: BillingPort;
  storage: StoragePort;
  media: MediaPort;
  ai: AiPort;
  clock: Clock;
  /** Scratch directory for media files (Lambda: /tmp). */
  workDir: string;
}
