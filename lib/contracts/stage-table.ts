import { z } from 'zod';

/**
 * The pipeline's stages, declared once. Everything that knows about a stage is derived from this
 * table: the stage enum of the job events, the workflow's transitions and progress, the deadlines,
 * the queues, subscriptions, DLQs and alarms (resources/pipeline.cjs), the stage functions and
 * their dead-letter consumer, the portal's and the extension's labels, and the tests' stage loops.
 * Browser-safe: data and zod schemas only (the portal and the extension import it).
 *
 * Adding a stage: one entry here (with its output schema), one body in lib/jobs/stages/<name>.ts
 * registered in lib/jobs/stages/index.ts, and its unit test (docs/pipeline.md, "Adding a stage").
 */

/** A clip as the clip fan-out announces it (`stage.completed` of the clip stage → `clip.ready`). */
export const stageClipSchema = z.object({
  id: z.string().min(1).max(128),
  start: z.number().nonnegative(),
  end: z.number().nonnegative(),
  title: z.string().max(500),
  reason: z.string().max(2000),
  score: z.number(),
  transcript: z.string().max(20000),
});

const key = z.string().min(1).max(1024);
const count = z.number().int().nonnegative();

/** What each stage publishes in `stage.completed.output`: the producer parses it, consumers too. */
export const downloadOutputSchema = z.object({ sourceKey: key, bytes: count });
export const probeOutputSchema = z.object({
  durationSeconds: z.number().nonnegative(),
  sourceDurationSeconds: z.number().nonnegative(),
  credits: count,
  hasAudio: z.boolean(),
  subtitleTracks: count,
});
export const audioOutputSchema = z.object({ audioKey: key.optional(), audio: z.literal(false).optional() });
export const transcribeOutputSchema = z.object({ transcriptKey: key, source: z.string(), segments: count });
export const selectOutputSchema = z.object({ clipIds: z.array(z.string().min(1)).max(100), selector: z.string() });
export const renderOutputSchema = z.object({
  clip: stageClipSchema,
  videoKey: key.optional(),
  durationSeconds: z.number().nonnegative().optional(),
  renderMs: count.optional(),
});
export const finalizeOutputSchema = z.object({ manifestKey: key, creditsCharged: count, clipsReady: count });

/**
 * A fan-out stage runs once per item (one `stage.requested` per item id, each with `clipId`),
 * and a counted fan-in moves the job on when every item is counted (done or failed).
 */
export interface FanOut {
  /** The items: records the stage reads by id (today clips, `ClipRecord`). */
  item: 'clip';
  /** The field of the previous stage's output that lists the item ids. */
  itemsFrom: string;
  /** How the job fails when the previous stage produced no items, or when every item failed. */
  noItems: { code: string; message: string };
  allFailed: { code: string; message: string };
  /** The coordinator's log line while items are still out. */
  pending: string;
  /** serverless-offline-sqs runs one invocation at a time per mapping: local pollers per queue. */
  localPollers: number;
}

export interface StageDefinition {
  name: string;
  /** The stage requested when this one completes; null for the last (it settles the job). */
  next: string | null;
  /** Short label (portal step list) and an activity phrase (extension popup). */
  label: string;
  activity: string;
  /** Lambda description. */
  description: string;
  /** Function timeout; its queue's VisibilityTimeout is 6×, the sweeper's deadline 7× this. */
  timeoutSeconds: number;
  memoryMB: number;
  ephemeralMB?: number;
  /** Job progress (0–100) when the stage is requested; a fan-out interpolates up to the next one's. */
  progress: number;
  /**
   * Its `stage.completed` output. The runner parses the whole output before publishing; a consumer
   * reads the fields it needs with this schema's own field schemas (a tolerant reader).
   */
  output: z.ZodObject;
  fanOut?: FanOut;
}

export const STAGE_TABLE = [
  {
    name: 'download',
    next: 'probe',
    label: 'Download',
    activity: 'Downloading',
    description: 'Fetch the source (SSRF-safe, streamed multipart to S3) or take the upload',
    timeoutSeconds: 900,
    memoryMB: 1024,
    progress: 2,
    output: downloadOutputSchema,
  },
  {
    name: 'probe',
    next: 'audio',
    label: 'Inspect',
    activity: 'Checking the video',
    description: 'ffprobe the source: duration, streams, tier limits',
    timeoutSeconds: 120,
    memoryMB: 1024,
    progress: 12,
    output: probeOutputSchema,
  },
  {
    name: 'audio',
    next: 'transcribe',
    label: 'Audio',
    activity: 'Extracting audio',
    description: 'Extract speech audio (MP3 mono) to S3',
    timeoutSeconds: 600,
    memoryMB: 2048,
    ephemeralMB: 4096,
    progress: 18,
    output: audioOutputSchema,
  },
  {
    name: 'transcribe',
    next: 'select',
    label: 'Transcribe',
    activity: 'Transcribing',
    description: 'Captions track first, else OpenAI Whisper (chunked), else no transcript',
    timeoutSeconds: 900,
    memoryMB: 2048,
    ephemeralMB: 4096,
    progress: 28,
    output: transcribeOutputSchema,
  },
  {
    name: 'select',
    next: 'render',
    label: 'Pick highlights',
    activity: 'Finding the best moments',
    description: 'Pick sentence-aligned highlights (OpenAI structured output or local heuristic)',
    timeoutSeconds: 300,
    memoryMB: 1024,
    progress: 45,
    output: selectOutputSchema,
  },
  {
    name: 'render',
    next: 'finalize',
    label: 'Render',
    activity: 'Rendering clips',
    description: 'Render one clip: cut, reframe, burned captions, SRT/VTT, thumbnail',
    timeoutSeconds: 900,
    memoryMB: 3008,
    ephemeralMB: 4096,
    progress: 55,
    output: renderOutputSchema,
    fanOut: {
      item: 'clip',
      itemsFrom: 'clipIds',
      noItems: { code: 'NO_CLIPS', message: 'No clip-worthy moments were found in this video' },
      allFailed: { code: 'ALL_CLIPS_FAILED', message: 'Every clip failed to render' },
      pending: 'clips still rendering',
      localPollers: 2,
    },
  },
  {
    name: 'finalize',
    next: null,
    label: 'Finish',
    activity: 'Finishing',
    description: 'Fan-in: manifest, settle credits',
    timeoutSeconds: 120,
    memoryMB: 512,
    progress: 95,
    output: finalizeOutputSchema,
  },
] as const satisfies readonly StageDefinition[];

type Table = (typeof STAGE_TABLE)[number];
export type StageName = Table['name'];
export type StageOutput<S extends StageName> = z.infer<Extract<Table, { name: S }>['output']>;

export const STAGE_NAMES = STAGE_TABLE.map((s) => s.name) as unknown as readonly [StageName, ...StageName[]];

/** The definition of a stage by name. */
export const STAGE_DEFS = Object.fromEntries(STAGE_TABLE.map((s) => [s.name, s])) as { [S in StageName]: StageDefinition & Extract<Table, { name: S }> };

export const FIRST_STAGE: StageName = STAGE_TABLE[0].name;

/** The last stage's output settles the job (`creditsCharged`). */
export const LAST_STAGE = STAGE_TABLE[STAGE_TABLE.length - 1]!.name;

/** The SQS consumers beside the stages (function timeouts; their queues get 6×). */
export const CONSUMER_TIMEOUT_SECONDS = { coordinator: 30, notifier: 30, deadLetter: 30 } as const;

/** One field of a stage's output, parsed with that stage's schema of the field (undefined if absent or invalid). */
export function outputField(stage: StageName, output: Record<string, unknown>, field: string): unknown {
  const schema = (STAGE_DEFS[stage].output as z.ZodObject).shape[field];
  const parsed = schema?.safeParse(output[field]);
  return parsed?.success ? parsed.data : undefined;
}

export const nextStage = (stage: StageName): StageName | null => (STAGE_DEFS[stage].next as StageName | null) ?? null;
export const fanOutOf = (stage: StageName | null | undefined): FanOut | undefined => (stage ? STAGE_DEFS[stage].fanOut : undefined);
export const stageLabel = (stage: string): string => (STAGE_DEFS as Record<string, StageDefinition | undefined>)[stage]?.label ?? stage;
export const stageActivity = (stage: string): string => (STAGE_DEFS as Record<string, StageDefinition | undefined>)[stage]?.activity ?? stage;
