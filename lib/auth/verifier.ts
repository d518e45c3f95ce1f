import { CognitoJwtVerifier, JwtRsaVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache, SimplePenaltyBox } from 'aws-jwt-verify/jwk';
import { SimpleFetcher, type Fetcher } from 'aws-jwt-verify/https';
import { FetchError, JwksValidationError, NonRetryableFetchError } from 'aws-jwt-verify/error';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import { UnauthorizedError, UnavailableError } from '../http/errors.ts';
import { rolesForGroups, type Role } from './roles.ts';

/** The verified caller of a request. The id is always the token's verified `sub`. */
export interface AuthUser {
  sub: string;
  username?: string;
  email?: string;
  groups: string[];
  roles: Role[];
  clientId: string;
  scopes: string[];
  /** The sign-in session the token belongs to (see sessionIdOf); sign-out revokes it. */
  sessionId?: string;
  /** When the user signed in (`auth_time`, else `iat`), epoch seconds; "sign out everywhere" compares it. */
  signedInAt?: number;
}

export interface VerifierSettings {
  /** `local`: cognito-local (http issuer, JwtRsaVerifier); `cognito`: a real AWS user pool. */
  mode: 'local' | 'cognito';
  userPoolId: string;
  clientId: string;
  /** Expected `iss`. For `cognito` it is derived from the pool id (both AWS issuer formats). */
  issuer: string;
  /** JWKS location. For `cognito` it is derived from the issuer by aws-jwt-verify. */
  jwksUri: string;
  /** Clock skew allowed on exp / nbf. */
  graceSeconds?: number;
  /** After a kid is not found in a fresh JWKS, no refetch for this long (a flood of unknown kids costs one fetch). */
  penaltySeconds?: number;
  /** How the JWKS is fetched (tests, cognito-local over http). */
  fetcher?: Fetcher;
}

/** Tokens are a few KB; anything far larger is refused before parsing. */
const MAX_TOKEN_LENGTH = 8192;
const FETCH_TIMEOUT_MS = 3000;

/** JWKS fetcher over plain fetch(): allows http, which the local stage needs for cognito-local. */
export const httpFetcher: Fetcher = {
  async fetch(uri: string): Promise<ArrayBuffer> {
    let res: Response;
    try {
      res = await fetch(uri, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'error' });
    } catch (err) {
      throw new FetchError(uri, (err as Error).message);
    }
    if (res.status !== 200) throw new NonRetryableFetchError(uri, `Status code is ${res.status}, expected 200`);
    return res.arrayBuffer();
  },
};

function claimsCheck(settings: VerifierSettings) {
  return ({ payload }: { payload: JwtPayload }) => {
    // Cognito always sets these; a token without them is not one of ours.
    if (typeof payload.sub !== 'string' || !payload.sub) throw new Error('Token has no subject');
    if (typeof payload.exp !== 'number') throw new Error('Token has no expiry');
    if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000 + (settings.graceSeconds ?? 0) + 60) {
      throw new Error('Token issued in the future');
    }
    // Checked here for both modes (CognitoJwtVerifier checks them too; JwtRsaVerifier does not).
    if (payload.token_use !== 'access') throw new Error('Not an access token');
    if (payload.client_id !== settings.clientId) throw new Error('Token issued to another client');
  };
}

export type VerifyFn = (token: string) => Promise<JwtPayload>;

/**
 * Builds the access-token verifier once. Both modes check signature (RS256 from the JWKS), issuer,
 * exp/nbf with `graceSeconds`, token_use=access and client_id. JWKS are cached; unknown kids are
 * rate limited by the penalty box so an attacker cannot make us refetch on every request.
 */
export function createVerifier(settings: VerifierSettings): VerifyFn {
  const jwksCache = new SimpleJwksCache({
    fetcher: settings.fetcher ?? (settings.mode === 'local' ? httpFetcher : new SimpleFetcher()),
    penaltyBox: new SimplePenaltyBox({ waitSeconds: settings.penaltySeconds ?? 10 }),
  });
  const graceSeconds = settings.graceSeconds ?? 5;
  const customJwtCheck = claimsCheck({ ...settings, graceSeconds });
  if (settings.mode === 'cognito') {
    const verifier = CognitoJwtVerifier.create(
      { userPoolId: settings.userPoolId, tokenUse: 'access', clientId: settings.clientId, graceSeconds, customJwtCheck },
      { jwksCache },
    );
    return (token) => verifier.verify(token) as Promise<JwtPayload>;
  }
  const verifier = JwtRsaVerifier.create(
    { issuer: settings.issuer, jwksUri: settings.jwksUri, audience: null, graceSeconds, customJwtCheck },
    { jwksCache },
  );
  return (token) => verifier.verify(token);
}

function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * The sign-in session of a token: Cognito's `origin_jti` (shared by every access token refreshed
 * from the same refresh token); cognito-local does not issue it, so there the token's own `jti`.
 */
export function sessionIdOf(payload: JwtPayload): string | undefined {
  const id = payload.origin_jti ?? payload.jti;
  return typeof id === 'string' && id.length > 0 && id.length <= 128 ? id : undefined;
}

export function userFromClaims(payload: JwtPayload): AuthUser {
  const groups = stringArray(payload['cognito:groups']);
  const sessionId = sessionIdOf(payload);
  const signedInAt = typeof payload.auth_time === 'number' ? payload.auth_time : payload.iat;
  return {
    sub: String(payload.sub),
    username: typeof payload.username === 'string' ? payload.username : undefined,
    groups,
    roles: rolesForGroups(groups),
    clientId: String(payload.client_id),
    scopes: typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [],
    ...(sessionId ? { sessionId } : {}),
    ...(typeof signedInAt === 'number' ? { signedInAt } : {}),
  };
}

/**
 * Verifies a raw access token and returns the user, or throws UnauthorizedError (401). The only
 * other outcome is UnavailableError (503) when the signing keys cannot be fetched at all.
 */
export async function verifyWith(verify: VerifyFn, token: string | undefined | null): Promise<AuthUser> {
  if (typeof token !== 'string' || token.length === 0) throw new UnauthorizedError('Missing access token');
  if (token.length > MAX_TOKEN_LENGTH) throw new UnauthorizedError('Invalid access token');
  let payload: JwtPayload;
  try {
    payload = await verify(token);
  } catch (err) {
    // Our side: the JWKS could not be fetched or is not a JWKS. Retryable, not the caller's fault.
    if (err instanceof FetchError || err instanceof JwksValidationError) {
      throw new UnavailableError('Token signing keys are unavailable; please retry');
    }
    // Every other failure (signature, alg, claims, kid, parse, custom checks) is the token's: 401.
    throw new UnauthorizedError(err instanceof Error && /expired/i.test(err.message) ? 'Access token expired' : 'Invalid access token');
  }
  return userFromClaims(payload);
}

/** `Authorization: Bearer <token>` → the token, or undefined. */
export function bearerToken(authorization: string | undefined | null): string | undefined {
  if (typeof authorization !== 'string') return undefined;
  const match = /^\s*Bearer\s+([^\s]+)\s*$/i.exec(authorization);
  return match?.[1];
}
