import { ErrorCode, type ErrorCodeName } from '../contracts/errors.ts';

/** An error with an HTTP status and a stable code; the http stack maps it to the error body. */
export class HttpError extends Error {
  override name = 'HttpError';
  readonly status: number;
  readonly code: ErrorCodeName;
  readonly details?: unknown;
  readonly headers?: Record<string, string>;
  constructor(status: number, code: ErrorCodeName, message: string, details?: unknown, headers?: Record<string, string>) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    this.headers = headers;
  }
}

export class BadRequestError extends HttpError {
  override name = 'BadRequestError';
  constructor(message: string, details?: unknown, code: ErrorCodeName = ErrorCode.BAD_REQUEST) {
    super(400, code, message, details);
  }
}
export class ValidationError extends HttpError {
  override name = 'ValidationError';
  constructor(message: string, details?: unknown) {
    super(400, ErrorCode.VALIDATION_FAILED, message, details);
  }
}
export class UnauthorizedError extends HttpError {
  override name = 'UnauthorizedError';
  constructor(message = 'Authentication required', code: ErrorCodeName = ErrorCode.UNAUTHORIZED) {
    super(401, code, message);
  }
}
export class ForbiddenError extends HttpError {
  override name = 'ForbiddenError';
  constructor(message = 'You are not allowed to do this', code: ErrorCodeName = ErrorCode.FORBIDDEN) {
    super(403, code, message);
  }
}
export class NotFoundError extends HttpError {
  override name = 'NotFoundError';
  constructor(message = 'Not found') {
    super(404, ErrorCode.NOT_FOUND, message);
  }
}
export class ConflictError extends HttpError {
  override name = 'ConflictError';
  constructor(message: string, code: ErrorCodeName = ErrorCode.CONFLICT) {
    super(409, code, message);
  }
}
export class PaymentRequiredError extends HttpError {
  override name = 'PaymentRequiredError';
  constructor(message: string, details?: unknown) {
    super(402, ErrorCode.INSUFFICIENT_CREDITS, message, details);
  }
}
export class RateLimitedError extends HttpError {
  override name = 'RateLimitedError';
  constructor(message = 'Too many requests, slow down', retryAfterSeconds = 60) {
    super(429, ErrorCode.RATE_LIMITED, message, undefined, { 'retry-after': String(retryAfterSeconds) });
  }
}
export class UnavailableError extends HttpError {
  override name = 'UnavailableError';
  constructor(message: string, details?: unknown) {
    super(503, ErrorCode.UNAVAILABLE, message, details);
  }
}
