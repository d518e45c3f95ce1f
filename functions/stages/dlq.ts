import { deadLetterHandler } from '../../lib/jobs/runtime.ts';

/** Dead-letter queues of the job queues: the job is marked failed (DEAD_LETTER) and refunded. */
export const handler = deadLetterHandler();
