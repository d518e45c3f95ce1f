import { stageHandler } from '../../lib/jobs/runtime.ts';

/** The probe stage: consumes stage.requested(probe) from its queue (see lib/jobs/stages.ts). */
export const handler = stageHandler('probe');
