import { z } from 'zod';

/** The error body every API answers with: { "error": { "code", "message", "details"? } }. */
export const apiErrorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});
export type ApiErrorBody = z.infer<typeof apiErrorSchema>;

/** Stable, documented error codes. Clients switch on these, never on messages. */
export const ErrorCode = {
  BAD_REQUEST: 'BAD_REQUEST',
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  INVALID_JSON: 'INVALID_JSON',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** The completed upload is not the size it was declared with (the object is deleted). */
  UPLOAD_SIZE_MISMATCH: 'UPLOAD_SIZE_MISMATCH',
  RATE_LIMITED: 'RATE_LIMITED',
  INSUFFICIENT_CREDITS: 'INSUFFICIENT_CREDITS',
  VIDEO_TOO_LONG: 'VIDEO_TOO_LONG',
  TOO_MANY_JOBS: 'TOO_MANY_JOBS',
  UNAVAILABLE: 'UNAVAILABLE',
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCodeName = (typeof ErrorCode)[keyof typeof ErrorCode] | (string & {});
