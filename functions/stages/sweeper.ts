import { sweeperHandler } from '../../lib/jobs/runtime.ts';

/** Scheduled: fails jobs whose stage deadline passed, with a refund (lib/jobs/failures.ts). */
export const handler = sweeperHandler();
