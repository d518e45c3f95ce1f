import { coordinatorHandler } from '../../lib/jobs/runtime.ts';

/** The coordinator: job.requested / stage.completed / stage.failed / job.cancelled → nextStep (lib/jobs/workflow.ts). */
export const handler = coordinatorHandler();
