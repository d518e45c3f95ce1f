import { stageHandler } from '../../lib/jobs/runtime.ts';

/** The download stage: consumes stage.requested(download) from its queue (see lib/jobs/stages.ts). */
export const handler = stageHandler('download');
