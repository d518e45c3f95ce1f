import { cognitoEndpoint, type AuthConfig } from './config.ts';
import { AuthError } from './errors.ts';
import { tokenExpiry } from './jwt.ts';
import type { SignInResult, Tokens } from './types.ts';

/**
 * A small Cognito client over the Cognito JSON API (POST with X-Amz-Target), using fetch only so
 * it runs unchanged in a browser, an extension service worker and Node. Only the public-client
 * operations are used: no AWS credentials are involved.
 */
export type FetchLike = (input: string, init: { method: string; headers: Record<string, string>; body: string }) => Promise<{
  ok: boolean;
  status: number;
  text(): Promise<string>;
}>;

export interface CognitoClientOptions {
  config: Pick<AuthConfig, 'clientId' | 'region' | 'endpoint'>;
  fetch?: FetchLike;
  now?: () => number;
}

interface AuthenticationResult {
  AccessToken?: string;
  IdToken?: string;
  RefreshToken?: string;
  ExpiresIn?: number;
}

export interface CognitoUserAttributes {
  username: string;
  attributes: Record<string, string>;
  mfaEnabled: boolean;
}

export type CognitoClient = ReturnType<typeof createCognitoClient>;

export function createCognitoClient(options: CognitoClientOptions) {
  const { config } = options;
  const doFetch: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const now = options.now ?? (() => Date.now());
  const url = cognitoEndpoint(config);

  async function call<T>(operation: string, body: Record<string, unknown>): Promise<T> {
    let res: Awaited<ReturnType<FetchLike>>;
    try {
      res = await doFetch(url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-amz-json-1.1',
          'X-Amz-Target': `AWSCognitoIdentityProviderService.${operation}`,
        },
        body: JSON.stringify(body),
      });
    } catch (e) {
      throw new AuthError('NetworkError', e instanceof Error ? e.message : 'Network error', 503);
    }
    const text = await res.text();
    let json: Record<string, unknown> = {};
    if (text) {
      try {
        json = JSON.parse(text) as Record<string, unknown>;
      } catch {
        throw new AuthError('InvalidResponse', `Cognito answered ${res.status} with a non-JSON body`, 502);
      }
    }
    if (!res.ok) {
      const type = String(json.__type ?? json.code ?? 'UnknownError');
      const code = type.includes('#') ? type.slice(type.lastIndexOf('#') + 1) : type;
      const message = String(json.message ?? json.Message ?? code);
      throw new AuthError(code, message, res.status);
    }
    return json as T;
  }

  function toTokens(result: AuthenticationResult | undefined, previousRefreshToken?: string): Tokens {
    if (!result?.AccessToken || !result.IdToken) throw new AuthError('InvalidResponse', 'Cognito returned no tokens', 502);
    const refreshToken = result.RefreshToken ?? previousRefreshToken;
    if (!refreshToken) throw new AuthError('InvalidResponse', 'Cognito returned no refresh token', 502);
    const fromClaim = tokenExpiry(result.AccessToken);
    const expiresAt = fromClaim || now() + (result.ExpiresIn ?? 3600) * 1000;
    return { accessToken: result.AccessToken, idToken: result.IdToken, refreshToken, expiresAt };
  }

  return {
    async signUp(input: { email: string; password: string; name?: string }): Promise<{ userSub: string; confirmed: boolean }> {
      const attributes = [{ Name: 'email', Value: input.email }];
      if (input.name) attributes.push({ Name: 'name', Value: input.name });
      const out = await call<{ UserSub?: string; UserConfirmed?: boolean }>('SignUp', {
        ClientId: config.clientId,
        Username: input.email,
        Password: input.password,
        UserAttributes: attributes,
      });
      return { userSub: out.UserSub ?? '', confirmed: out.UserConfirmed === true };
    },

    async confirmSignUp(input: { email: string; code: string }): Promise<void> {
      await call('ConfirmSignUp', { ClientId: config.clientId, Username: input.email, ConfirmationCode: input.code });
    },

    async signIn(input: { email: string; password: string }): Promise<SignInResult> {
      const out = await call<{ AuthenticationResult?: AuthenticationResult; ChallengeName?: string; Session?: string }>(
        'InitiateAuth',
        { ClientId: config.clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: input.email, PASSWORD: input.password } },
      );
      if (out.ChallengeName === 'SOFTWARE_TOKEN_MFA') {
        return { kind: 'mfa', challenge: 'SOFTWARE_TOKEN_MFA', session: out.Session ?? '' };
      }
      if (out.ChallengeName) throw new AuthError('UnsupportedChallenge', `Sign-in needs ${out.ChallengeName}, which this client does not support`, 400);
      return { kind: 'tokens', tokens: toTokens(out.AuthenticationResult) };
    },

    async respondToMfa(input: { email: string; session: string; code: string }): Promise<Tokens> {
      const out = await call<{ AuthenticationResult?: AuthenticationResult }>('RespondToAuthChallenge', {
        ClientId: config.clientId,
        ChallengeName: 'SOFTWARE_TOKEN_MFA',
        Session: input.session,
        ChallengeResponses: { USERNAME: input.email, SOFTWARE_TOKEN_MFA_CODE: input.code },
      });
      return toTokens(out.AuthenticationResult);
    },

    async refresh(refreshToken: string): Promise<Tokens> {
      const out = await call<{ AuthenticationResult?: AuthenticationResult }>('InitiateAuth', {
        ClientId: config.clientId,
        AuthFlow: 'REFRESH_TOKEN_AUTH',
        AuthParameters: { REFRESH_TOKEN: refreshToken },
      });
      return toTokens(out.AuthenticationResult, refreshToken);
    },

    async forgotPassword(email: string): Promise<void> {
      await call('ForgotPassword', { ClientId: config.clientId, Username: email });
    },

    async confirmForgotPassword(input: { email: string; code: string; password: string }): Promise<void> {
      await call('ConfirmForgotPassword', {
        ClientId: config.clientId,
        Username: input.email,
        ConfirmationCode: input.code,
        Password: input.password,
      });
    },

    /** Sign-out: revokes the refresh token (and the access tokens issued from it). */
    async revokeToken(refreshToken: string): Promise<void> {
      await call('RevokeToken', { ClientId: config.clientId, Token: refreshToken });
    },


    async getUser(accessToken: string): Promise<CognitoUserAttributes> {
      const out = await call<{ Username?: string; UserAttributes?: { Name: string; Value?: string }[]; UserMFASettingList?: string[] }>(
        'GetUser',
        { AccessToken: accessToken },
      );
      const attributes: Record<string, string> = {};
      for (const a of out.UserAttributes ?? []) attributes[a.Name] = a.Value ?? '';
      return { username: out.Username ?? '', attributes, mfaEnabled: (out.UserMFASettingList ?? []).includes('SOFTWARE_TOKEN_MFA') };
    },

    async updateAttributes(accessToken: string, attributes: Record<string, string>): Promise<void> {
      await call('UpdateUserAttributes', {
        AccessToken: accessToken,
        UserAttributes: Object.entries(attributes).map(([Name, Value]) => ({ Name, Value })),
      });
    },

    /** Starts TOTP enrolment: returns the shared secret. */
    async associateSoftwareToken(accessToken: string): Promise<string> {
      const out = await call<{ SecretCode?: string }>('AssociateSoftwareToken', { AccessToken: accessToken });
      if (!out.SecretCode) throw new AuthError('InvalidResponse', 'Cognito returned no secret', 502);
      return out.SecretCode;
    },

    async verifySoftwareToken(accessToken: string, code: string, deviceName = 'Authenticator'): Promise<void> {
      const out = await call<{ Status?: string }>('VerifySoftwareToken', { AccessToken: accessToken, UserCode: code, FriendlyDeviceName: deviceName });
      if (out.Status && out.Status !== 'SUCCESS') throw new AuthError('CodeMismatchException', 'Invalid code', 400);
    },

    async setTotpEnabled(accessToken: string, enabled: boolean): Promise<void> {
      await call('SetUserMFAPreference', {
        AccessToken: accessToken,
        SoftwareTokenMfaSettings: { Enabled: enabled, PreferredMfa: enabled },
      });
    },
  };
}

/** The otpauth:// URI an authenticator app scans (RFC 6238 key URI format). */
export function otpauthUri(input: { secret: string; account: string; issuer: string }): string {
  const label = encodeURIComponent(`${input.issuer}:${input.account}`);
  const params = new URLSearchParams({ secret: input.secret, issuer: input.issuer, algorithm: 'SHA1', digits: '6', period: '30' });
  return `otpauth://totp/${label}?${params.toString()}`;
}
