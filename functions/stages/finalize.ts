import { stageHandler } from '../../lib/jobs/runtime.ts';

/** The finalize stage: consumes stage.requested(finalize) from its queue (see lib/jobs/stages.ts). */
export const handler = stageHandler('finalize');
