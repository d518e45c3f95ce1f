import { AuthErrorCode, PASSWORD_POLICY } from '../contracts/auth.ts';
import { ErrorCode } from '../contracts/errors.ts';
import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  RateLimitedError,
  UnauthorizedError,
  UnavailableError,
} from '../http/errors.ts';

/** Which API call failed: the same Cognito exception means different things in different flows. */
export type AuthOperation =
  | 'signUp'
  | 'confirm'
  | 'signIn'
  | 'respondMfa'
  | 'refresh'
  | 'forgot'
  | 'reset'
  | 'logout'
  | 'profile'
  | 'totp'
  | 'admin';

const CREDENTIALS = 'Incorrect email or password';

/**
 * Maps a Cognito SDK exception to an HttpError. Client mistakes are always 4xx; unknown errors are
 * rethrown as they are (the HTTP stack turns them into a logged 500).
 */
export function mapCognitoError(err: unknown, op: AuthOperation): unknown {
  if (!(err instanceof Error)) return err;
  const name = err.name;
  const message = err.message ?? '';
  switch (name) {
    case 'UsernameExistsException':
    case 'AliasExistsException':
      return new ConflictError('An account with this email already exists', AuthErrorCode.EMAIL_TAKEN);
    case 'InvalidPasswordException':
      // cognito-local answers a wrong password at sign-in with this; AWS uses NotAuthorizedException.
      if (op === 'signIn') return new UnauthorizedError(CREDENTIALS, AuthErrorCode.INVALID_CREDENTIALS);
      return new BadRequestError(`Password must be ${PASSWORD_POLICY.description}`, { policy: PASSWORD_POLICY }, AuthErrorCode.WEAK_PASSWORD);
    case 'NotAuthorizedException':
      if (/attempts exceeded/i.test(message)) return new RateLimitedError('Too many failed attempts; try again later', 900);
      if (op === 'confirm' && /current status is confirmed/i.test(message)) {
        return new ConflictError('This account is already confirmed', AuthErrorCode.ALREADY_CONFIRMED);
      }
      if (op === 'confirm' || op === 'reset') return new BadRequestError('The code is not valid', undefined, AuthErrorCode.CODE_MISMATCH);
      if (op === 'refresh' || op === 'logout') {
        return new UnauthorizedError('The refresh token is invalid, expired or revoked', AuthErrorCode.REFRESH_TOKEN_INVALID);
      }
      if (op === 'signIn') return new UnauthorizedError(CREDENTIALS, AuthErrorCode.INVALID_CREDENTIALS);
      if (op === 'respondMfa') return new UnauthorizedError('The sign-in session is invalid or expired; sign in again');
      return new UnauthorizedError('Your session is no longer valid; sign in again');
    case 'UserNotFoundException':
      // Never reveal whether an account exists.
      if (op === 'signIn') return new UnauthorizedError(CREDENTIALS, AuthErrorCode.INVALID_CREDENTIALS);
      if (op === 'respondMfa') return new UnauthorizedError('The sign-in session is invalid or expired; sign in again');
      if (op === 'confirm' || op === 'reset') return new BadRequestError('The code is not valid', undefined, AuthErrorCode.CODE_MISMATCH);
      return new UnauthorizedError('Your account no longer exists');
    case 'UserNotConfirmedException':
      return new ForbiddenError('Confirm your email address first (we sent you a code)', AuthErrorCode.USER_NOT_CONFIRMED);
    case 'PasswordResetRequiredException':
      return new ForbiddenError('A password reset is required for this account', AuthErrorCode.PASSWORD_RESET_REQUIRED);
    case 'CodeMismatchException':
    case 'EnableSoftwareTokenMFAException':
      return new BadRequestError('The code is not valid', undefined, AuthErrorCode.CODE_MISMATCH);
    case 'ExpiredCodeException':
      return new BadRequestError('The code has expired; request a new one', undefined, AuthErrorCode.CODE_EXPIRED);
    case 'SoftwareTokenMFANotFoundException':
      return new BadRequestError('Start TOTP enrolment first (POST /me/mfa/totp)', undefined, AuthErrorCode.MFA_NOT_ENROLLED);
    case 'InvalidParameterException':
      if (op === 'totp' && /not (associated|verified)/i.test(message)) {
        return new BadRequestError('Start TOTP enrolment first (POST /me/mfa/totp)', undefined, AuthErrorCode.MFA_NOT_ENROLLED);
      }
      return new BadRequestError(message || 'Invalid parameter', undefined, ErrorCode.BAD_REQUEST);
    case 'LimitExceededException':
    case 'TooManyRequestsException':
    case 'TooManyFailedAttemptsException':
      return new RateLimitedError('Too many attempts; try again later', 60);
    case 'ForbiddenException':
      return new ForbiddenError('The request was refused');
    case 'CodeDeliveryFailureException':
      return new UnavailableError('We could not send the code; try again later');
    case 'UnsupportedTokenTypeException':
      return new BadRequestError('This is not a refresh token', undefined, AuthErrorCode.REFRESH_TOKEN_INVALID);
    default:
      return err;
  }
}
