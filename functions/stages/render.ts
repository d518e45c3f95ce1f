import { stageHandler } from '../../lib/jobs/runtime.ts';

/** The render stage: consumes stage.requested(render) from its queue (see lib/jobs/stages.ts). */
export const handler = stageHandler('render');
