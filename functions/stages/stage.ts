import { stageFromEnv, stageHandler } from '../../lib/jobs/runtime.ts';

/**
 * Every pipeline stage's Lambda: one entry point, told which stage it runs by PIPELINE_STAGE (set
 * per function by resources/pipeline.cjs from the stage table). The work is lib/jobs/runner.ts and
 * the stage's body in lib/jobs/stages/.
 */
export const handler = stageHandler(stageFromEnv());
