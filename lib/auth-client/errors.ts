/** A failed authentication call, carrying Cognito's exception name as a stable code. */
export class AuthError extends Error {
  override name = 'AuthError';
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status = 400) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

/** Codes that mean "the refresh token is no longer good": the session is over. */
export const SESSION_OVER_CODES = new Set(['NotAuthorizedException', 'UserNotFoundException', 'UserNotConfirmedException']);

const FRIENDLY: Record<string, string> = {
  NotAuthorizedException: 'Incorrect email or password.',
  UserNotFoundException: 'Incorrect email or password.',
  UserNotConfirmedException: 'Please confirm your email address first.',
  UsernameExistsException: 'An account with this email already exists.',
  InvalidPasswordException: 'Password must be at least 12 characters and mix upper and lower case letters, numbers and symbols.',
  CodeMismatchException: 'That code is not correct. Check it and try again.',
  ExpiredCodeException: 'That code has expired. Request a new one.',
  LimitExceededException: 'Too many attempts. Please wait a moment and try again.',
  TooManyRequestsException: 'Too many attempts. Please wait a moment and try again.',
  TooManyFailedAttemptsException: 'Too many attempts. Please wait a moment and try again.',
  InvalidParameterException: 'Some of the details are not valid.',
  EnableSoftwareTokenMFAException: 'That code is not correct. Check your authenticator app and try again.',
  NetworkError: 'The sign-in service could not be reached. Try again in a moment.',
};

/** A message that is safe and useful to show a user for any thrown value. */
export function authErrorMessage(error: unknown): string {
  if (error instanceof AuthError) return FRIENDLY[error.code] ?? error.message;
  return 'Something went wrong. Please try again.';
}
