import { stageHandler } from '../../lib/jobs/runtime.ts';

/** The audio stage: consumes stage.requested(audio) from its queue (see lib/jobs/stages.ts). */
export const handler = stageHandler('audio');
