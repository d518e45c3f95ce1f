import type { Stage } from '../../contracts/job-events.ts';
import { audio } from './audio.ts';
import type { StageWork } from './context.ts';
import { download } from './download.ts';
import { finalize } from './finalize.ts';
import { probe } from './probe.ts';
import { render } from './render.ts';
import { select } from './select.ts';
import { transcribe } from './transcribe.ts';

/** The body of every stage of the table (lib/contracts/stage-table.ts); the typecheck finds a missing one. */
export const STAGE_WORK: { [S in Stage]: StageWork<S> } = { download, probe, audio, transcribe, select, render, finalize };

export { clipOutput } from './render.ts';
export { NO_AUDIO_NOTICE, NO_TRANSCRIPT_NOTICE } from './transcribe.ts';
export { MissingArtifactError, type StageContext, type StageOutcome, type StageRequest, type StageWork } from './context.ts';
