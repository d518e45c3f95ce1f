import { stageHandler } from '../../lib/jobs/runtime.ts';

/** The transcribe stage: consumes stage.requested(transcribe) from its queue (see lib/jobs/stages.ts). */
export const handler = stageHandler('transcribe');
