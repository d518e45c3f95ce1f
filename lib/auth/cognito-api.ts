import {
  AssociateSoftwareTokenCommand,
  ConfirmForgotPasswordCommand,
  ConfirmSignUpCommand,
  ForgotPasswordCommand,
  GetUserCommand,
  GlobalSignOutCommand,
  InitiateAuthCommand,
  ListUsersCommand,
  RespondToAuthChallengeCommand,
  RevokeTokenCommand,
  SetUserMFAPreferenceCommand,
  SignUpCommand,
  UpdateUserAttributesCommand,
  VerifySoftwareTokenCommand,
  type AttributeType,
  type AuthenticationResultType,
  type CognitoIdentityProviderClient,
  type UserType,
} from '@aws-sdk/client-cognito-identity-provider';
import type {
  AdminUsers,
  AdminUsersQuery,
  ConfirmBody,
  ForgotBody,
  MfaBody,
  Profile,
  ResetBody,
  SignInBody,
  SignInResult,
  SignUpBody,
  Tokens,
  UpdateProfileBody,
} from '../contracts/auth.ts';
import { ForbiddenError, UnauthorizedError } from '../http/errors.ts';
import { cognito } from '../aws/clients.ts';
import { config } from '../config/index.ts';
import { mapCognitoError, type AuthOperation } from './cognito-errors.ts';
import type { AuthUser } from './verifier.ts';

/** What the identity flows need: a Cognito client (or a fake with `send`) and the pool ids. */
export interface CognitoDeps {
  client: Pick<CognitoIdentityProviderClient, 'send'>;
  userPoolId: string;
  clientId: string;
  /** Shown in authenticator apps. */
  totpIssuer?: string;
}

export const cognitoDeps = (): CognitoDeps => ({
  client: cognito(),
  userPoolId: config().USER_POOL_ID,
  clientId: config().USER_POOL_CLIENT_ID,
});

async function call<T>(op: AuthOperation, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw mapCognitoError(err, op);
  }
}

/** Seconds until the token's exp (Cognito omits ExpiresIn on some flows, cognito-local on refresh). */
function secondsLeft(jwt: string): number {
  try {
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    if (typeof payload.exp === 'number') return Math.max(0, payload.exp - Math.floor(Date.now() / 1000));
  } catch {
    /* fall through */
  }
  return 3600;
}

export function tokensFrom(result: AuthenticationResultType | undefined): Tokens {
  if (!result?.AccessToken || !result.IdToken) throw new Error('Cognito returned no tokens');
  return {
    accessToken: result.AccessToken,
    idToken: result.IdToken,
    ...(result.RefreshToken ? { refreshToken: result.RefreshToken } : {}),
    expiresIn: result.ExpiresIn ?? secondsLeft(result.AccessToken),
    tokenType: 'Bearer',
  };
}

export async function signUp(deps: CognitoDeps, body: SignUpBody): Promise<{ userSub: string; confirmed: boolean }> {
  const out = await call('signUp', () =>
    deps.client.send(
      new SignUpCommand({
        ClientId: deps.clientId,
        Username: body.email,
        Password: body.password,
        UserAttributes: [
          { Name: 'email', Value: body.email },
          { Name: 'name', Value: body.name },
        ],
      }),
    ),
  );
  if (!out.UserSub) throw new Error('Cognito returned no UserSub');
  return { userSub: out.UserSub, confirmed: out.UserConfirmed ?? false };
}

export async function confirmSignUp(deps: CognitoDeps, body: ConfirmBody): Promise<{ confirmed: true }> {
  await call('confirm', () =>
    deps.client.send(new ConfirmSignUpCommand({ ClientId: deps.clientId, Username: body.email, ConfirmationCode: body.code })),
  );
  return { confirmed: true };
}

export async function signIn(deps: CognitoDeps, body: SignInBody): Promise<SignInResult> {
  const out = await call('signIn', () =>
    deps.client.send(
      new InitiateAuthCommand({
        ClientId: deps.clientId,
        AuthFlow: 'USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: body.email, PASSWORD: body.password },
      }),
    ),
  );
  if (out.ChallengeName === 'SOFTWARE_TOKEN_MFA') {
    if (!out.Session) throw new Error('Cognito returned an MFA challenge without a session');
    return { challenge: 'SOFTWARE_TOKEN_MFA', session: out.Session };
  }
  if (out.ChallengeName) {
    // NEW_PASSWORD_REQUIRED (admin-created users), MFA_SETUP, ... are hosted-UI flows, not this API's.
    throw new ForbiddenError(`This account needs the ${out.ChallengeName} step; use the hosted sign-in page`, 'CHALLENGE_NOT_SUPPORTED');
  }
  return tokensFrom(out.AuthenticationResult);
}

export async function respondMfa(deps: CognitoDeps, body: MfaBody): Promise<Tokens> {
  const out = await call('respondMfa', () =>
    deps.client.send(
      new RespondToAuthChallengeCommand({
        ClientId: deps.clientId,
        ChallengeName: 'SOFTWARE_TOKEN_MFA',
        Session: body.session,
        ChallengeResponses: { USERNAME: body.email, SOFTWARE_TOKEN_MFA_CODE: body.code },
      }),
    ),
  );
  if (out.ChallengeName) throw new ForbiddenError(`This account needs the ${out.ChallengeName} step; use the hosted sign-in page`, 'CHALLENGE_NOT_SUPPORTED');
  return tokensFrom(out.AuthenticationResult);
}

export async function refresh(deps: CognitoDeps, refreshToken: string): Promise<Tokens> {
  const out = await call('refresh', () =>
    deps.client.send(
      new InitiateAuthCommand({
        ClientId: deps.clientId,
        AuthFlow: 'REFRESH_TOKEN_AUTH',
        AuthParameters: { REFRESH_TOKEN: refreshToken },
      }),
    ),
  );
  return tokensFrom(out.AuthenticationResult);
}

/** Starts a reset. Resolves the same way whether or not the account exists. */
export async function forgotPassword(deps: CognitoDeps, body: ForgotBody): Promise<void> {
  try {
    await deps.client.send(new ForgotPasswordCommand({ ClientId: deps.clientId, Username: body.email }));
  } catch (err) {
    const name = (err as Error).name;
    if (name === 'UserNotFoundException' || name === 'UserNotConfirmedException') return;
    if (name === 'InvalidParameterException' && /verified|registered/i.test((err as Error).message)) return;
    throw mapCognitoError(err, 'forgot');
  }
}

export async function resetPassword(deps: CognitoDeps, body: ResetBody): Promise<{ reset: true }> {
  await call('reset', () =>
    deps.client.send(
      new ConfirmForgotPasswordCommand({
        ClientId: deps.clientId,
        Username: body.email,
        ConfirmationCode: body.code,
        Password: body.password,
      }),
    ),
  );
  return { reset: true };
}

/**
 * Revokes the refresh token (and, on AWS, the access tokens issued from it for Cognito's own
 * APIs). Idempotent: an already revoked or unknown token is a successful logout.
 */
export async function logout(deps: CognitoDeps, refreshToken: string): Promise<void> {
  try {
    await deps.client.send(new RevokeTokenCommand({ ClientId: deps.clientId, Token: refreshToken }));
  } catch (err) {
    if ((err as Error).name === 'NotAuthorizedException') return;
    throw mapCognitoError(err, 'logout');
  }
}

/**
 * Signs the user out of every device at Cognito (all refresh tokens revoked). cognito-local does
 * not implement GlobalSignOut (it answers `CognitoLocal#Unsupported`); there the API's own
 * sign-out record (lib/auth/revocation.ts) is what ends the other sessions' access tokens.
 * Returns whether Cognito did it.
 */
export async function globalSignOut(deps: CognitoDeps, accessToken: string): Promise<boolean> {
  try {
    await deps.client.send(new GlobalSignOutCommand({ AccessToken: accessToken }));
    return true;
  } catch (err) {
    if ((err as Error).name === 'Unsupported') return false;
    if ((err as Error).name === 'NotAuthorizedException') return true; // already signed out
    throw mapCognitoError(err, 'logout');
  }
}

const attr = (attributes: AttributeType[] | undefined, name: string) => attributes?.find((a) => a.Name === name)?.Value;

export async function getProfile(deps: CognitoDeps, accessToken: string, user: AuthUser): Promise<Profile> {
  const out = await call('profile', () => deps.client.send(new GetUserCommand({ AccessToken: accessToken })));
  const sub = attr(out.UserAttributes, 'sub');
  if (sub !== user.sub) throw new UnauthorizedError('The token does not match the account');
  return {
    sub,
    email: attr(out.UserAttributes, 'email') ?? '',
    emailVerified: attr(out.UserAttributes, 'email_verified') === 'true',
    name: attr(out.UserAttributes, 'name'),
    locale: attr(out.UserAttributes, 'locale'),
    tier: attr(out.UserAttributes, 'custom:tier'),
    groups: user.groups,
    roles: user.roles,
    mfaEnabled: (out.UserMFASettingList ?? []).includes('SOFTWARE_TOKEN_MFA'),
  };
}

/** Updates only the attributes the contract allows (name, locale), then returns the profile. */
export async function updateProfile(deps: CognitoDeps, accessToken: string, user: AuthUser, body: UpdateProfileBody): Promise<Profile> {
  const attributes: AttributeType[] = [];
  if (body.name !== undefined) attributes.push({ Name: 'name', Value: body.name });
  if (body.locale !== undefined) attributes.push({ Name: 'locale', Value: body.locale });
  await call('profile', () => deps.client.send(new UpdateUserAttributesCommand({ AccessToken: accessToken, UserAttributes: attributes })));
  return getProfile(deps, accessToken, user);
}

export function otpauthUri(issuer: string, account: string, secret: string): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const params = new URLSearchParams({ secret, issuer, algorithm: 'SHA1', digits: '6', period: '30' });
  return `otpauth://totp/${label}?${params.toString()}`;
}

export async function associateTotp(deps: CognitoDeps, accessToken: string, user: AuthUser): Promise<{ secretCode: string; otpauthUri: string }> {
  const profile = await getProfile(deps, accessToken, user);
  const out = await call('totp', () => deps.client.send(new AssociateSoftwareTokenCommand({ AccessToken: accessToken })));
  if (!out.SecretCode) throw new Error('Cognito returned no secret');
  return { secretCode: out.SecretCode, otpauthUri: otpauthUri(deps.totpIssuer ?? 'Clipforge', profile.email || user.sub, out.SecretCode) };
}

/** Verifies the first code from the authenticator app, then makes TOTP the preferred MFA. */
export async function verifyTotp(deps: CognitoDeps, accessToken: string, code: string, deviceName?: string): Promise<{ mfaEnabled: true }> {
  const out = await call('totp', () =>
    deps.client.send(new VerifySoftwareTokenCommand({ AccessToken: accessToken, UserCode: code, FriendlyDeviceName: deviceName })),
  );
  if (out.Status !== 'SUCCESS') throw mapCognitoError(Object.assign(new Error('TOTP verification failed'), { name: 'CodeMismatchException' }), 'totp');
  await call('totp', () =>
    deps.client.send(
      new SetUserMFAPreferenceCommand({ AccessToken: accessToken, SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true } }),
    ),
  );
  return { mfaEnabled: true };
}

export async function disableMfa(deps: CognitoDeps, accessToken: string): Promise<void> {
  await call('totp', () =>
    deps.client.send(
      new SetUserMFAPreferenceCommand({ AccessToken: accessToken, SoftwareTokenMfaSettings: { Enabled: false, PreferredMfa: false } }),
    ),
  );
}

function adminUser(u: UserType) {
  return {
    sub: attr(u.Attributes, 'sub') ?? u.Username ?? '',
    email: attr(u.Attributes, 'email'),
    name: attr(u.Attributes, 'name'),
    status: u.UserStatus ?? 'UNKNOWN',
    enabled: u.Enabled ?? true,
    createdAt: u.UserCreateDate ? new Date(u.UserCreateDate).toISOString() : undefined,
  };
}

export async function listUsers(deps: CognitoDeps, query: AdminUsersQuery): Promise<AdminUsers> {
  const out = await call('admin', () =>
    deps.client.send(
      new ListUsersCommand({
        UserPoolId: deps.userPoolId,
        Limit: query.limit,
        PaginationToken: query.paginationToken,
        Filter: query.email ? `email ^= "${query.email.toLowerCase()}"` : undefined,
      }),
    ),
  );
  return {
    users: (out.Users ?? []).map(adminUser),
    ...(out.PaginationToken ? { paginationToken: out.PaginationToken } : {}),
  };
}
