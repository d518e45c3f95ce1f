import { PermanentError } from '../http/sqs.ts';

/**
 * Media failures that retrying cannot fix. They fail the job at once with their code; transient
 * problems (network resets, 5xx from a source, S3 hiccups) are thrown as plain Errors and retried.
 */
export const MEDIA_ERROR_CODES = [
  'NOT_A_VIDEO',
  'CORRUPT_MEDIA',
  'NO_AUDIO',
  'EMPTY_SOURCE',
  'UNSUPPORTED_CODEC',
  'UNSUPPORTED_FORMAT',
  'SOURCE_NOT_FOUND',
  'SOURCE_TOO_LARGE',
  'URL_NOT_ALLOWED',
  'DOWNLOAD_TIMEOUT',
] as const;
export type MediaErrorCode = (typeof MEDIA_ERROR_CODES)[number];

export class MediaError extends PermanentError {
  override name = 'MediaError';
  declare readonly code: MediaErrorCode;
  constructor(code: MediaErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message);
    if (options?.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

export function isMediaError(err: unknown, code?: MediaErrorCode): err is MediaError {
  return err instanceof MediaError && (code === undefined || err.code === code);
}
