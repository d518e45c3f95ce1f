import { stageHandler } from '../../lib/jobs/runtime.ts';

/** The select stage: consumes stage.requested(select) from its queue (see lib/jobs/stages.ts). */
export const handler = stageHandler('select');
