import type { z } from 'zod';

/** One HTTP route, described once: the OpenAPI generator and its coverage test read these. */
export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** API Gateway style path, e.g. /jobs/{id} */
  path: string;
  auth: 'public' | 'user' | 'admin';
  summary: string;
  body?: z.ZodType;
  query?: z.ZodType;
  /** status → response schema, or 'error' for the standard error body, or 'empty'. */
  responses: Record<number, z.ZodType | 'error' | 'empty'>;
}
