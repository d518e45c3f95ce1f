import { z } from 'zod';
import type { RouteSpec } from './routes.ts';

/**
 * GET /health: whether each dependency answered (lib/health.ts), never why not — that is logged,
 * not shown to the public. 503 with the same body when degraded.
 */
const healthCheckSchema = z.object({
  ok: z.boolean(),
  ms: z.number().nonnegative(),
});

export const healthReportSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  stage: z.string(),
  checks: z.object({
    dynamodb: healthCheckSchema,
    messaging: healthCheckSchema,
    s3: healthCheckSchema,
    cognito: healthCheckSchema,
  }),
});
export type HealthReportBody = z.infer<typeof healthReportSchema>;

export const healthRoutes: RouteSpec[] = [
  {
    method: 'GET',
    path: '/health',
    auth: 'public',
    summary: 'Whether every dependency (DynamoDB, SNS/SQS, S3, Cognito) answers; used by the post-deploy smoke test',
    responses: { 200: healthReportSchema, 503: healthReportSchema },
  },
];
