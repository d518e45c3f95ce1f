import { ForbiddenError, UnauthorizedError } from '../http/errors.ts';
import { config, isLocalStage, type Config } from '../config/index.ts';
import { cognitoIssuer } from '../aws/clients.ts';
import { bearerToken, createVerifier, verifyWith, type AuthUser, type VerifierSettings, type VerifyFn } from './verifier.ts';
import type { Role } from './roles.ts';
import { isSessionRevoked } from './revocation.ts';

export type { Role } from './roles.ts';
export type { AuthUser } from './verifier.ts';
export { rolesForGroups, GROUP_ROLES } from './roles.ts';
export { bearerToken, createVerifier, verifyWith, userFromClaims, sessionIdOf } from './verifier.ts';

/**
 * Verifier settings for this stage. AWS stages: CognitoJwtVerifier for the stage's pool (https
 * issuer and JWKS derived from the pool id). Local stage: cognito-local's http issuer with the
 * JWKS URI given explicitly (its openid-configuration hard-codes port 9229). Local tokens are
 * never accepted elsewhere: parseConfig refuses COGNITO_ENDPOINT outside the local stage.
 */
export function verifierSettings(c: Config = config()): VerifierSettings {
  if (isLocalStage(c)) {
    if (!c.COGNITO_ENDPOINT) throw new Error('COGNITO_ENDPOINT is required on the local stage');
    const endpoint = c.COGNITO_ENDPOINT.replace(/\/$/, '');
    return {
      mode: 'local',
      userPoolId: c.USER_POOL_ID,
      clientId: c.USER_POOL_CLIENT_ID,
      issuer: cognitoIssuer(c),
      jwksUri: `${endpoint}/${c.USER_POOL_ID}/.well-known/jwks.json`,
    };
  }
  const issuer = cognitoIssuer(c);
  return { mode: 'cognito', userPoolId: c.USER_POOL_ID, clientId: c.USER_POOL_CLIENT_ID, issuer, jwksUri: `${issuer}/.well-known/jwks.json` };
}

// Created once per container (JWKS cache and penalty box live as long as the container).
let verifier: VerifyFn | undefined;
const containerVerifier = (): VerifyFn => (verifier ??= createVerifier(verifierSettings()));

/**
 * Verifies a raw Cognito access token (signature, issuer, exp/nbf, token_use, client_id), then
 * that its session was not signed out (lib/auth/revocation.ts), and returns the user; throws
 * UnauthorizedError (401), or UnavailableError (503) if the keys or the revocation list cannot be
 * read. Also used by the WebSocket $connect handler (token in the query string).
 */
export async function verifyAccessToken(token: string | undefined | null): Promise<AuthUser> {
  const user = await verifyWith(containerVerifier(), token);
  // Cognito and cognito-local always issue a jti; a token without one could not be signed out.
  if (!user.sessionId) throw new UnauthorizedError('Invalid access token');
  if (await isSessionRevoked({ sub: user.sub, sessionId: user.sessionId, signedInAt: user.signedInAt })) {
    throw new UnauthorizedError('This session was signed out; sign in again');
  }
  return user;
}

/** Verifies `Authorization: Bearer <access token>`. */
export async function authenticate(authorizationHeader: string | undefined): Promise<AuthUser> {
  const token = bearerToken(authorizationHeader);
  if (!token) throw new UnauthorizedError('Missing bearer token (Authorization: Bearer <access token>)');
  return verifyAccessToken(token);
}

/** 403 unless the user has one of `roles` (roles nest: admin ⊇ support ⊇ user). */
export function requireRole(user: AuthUser, roles: Role[]): void {
  if (!roles.some((r) => user.roles.includes(r))) throw new ForbiddenError('This needs the role: ' + roles.join(' or '));
}

/** For tests that switch environments within one process. */
export function resetAuthForTests(): void {
  verifier = undefined;
}
