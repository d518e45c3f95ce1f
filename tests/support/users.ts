/**
 * Test users against the stack's cognito-local (integration / e2e / scripts): SignUp →
 * AdminConfirmSignUp → InitiateAuth USER_PASSWORD_AUTH. Reads COGNITO_ENDPOINT, USER_POOL_ID,
 * USER_POOL_CLIENT_ID (and AWS_REGION) from the environment the test harness exports.
 */
import { randomUUID } from 'node:crypto';
import {
  AdminConfirmSignUpCommand,
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';

export interface TestUser {
  email: string;
  password: string;
  /** The user's id (the tokens' `sub`). */
  sub: string;
  accessToken: string;
  idToken: string;
  refreshToken: string;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run under the integration harness (tests/support/global-setup.ts)`);
  return value;
}

let client: CognitoIdentityProviderClient | undefined;
export function cognitoTestClient(): CognitoIdentityProviderClient {
  client ??= new CognitoIdentityProviderClient({
    endpoint: required('COGNITO_ENDPOINT'),
    region: process.env.AWS_REGION ?? 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  return client;
}

/** A password that satisfies the pool policy (12+, upper, lower, digit, symbol). */
export const testPassword = () => `Cf-${randomUUID().slice(0, 8)}-Aa1!`;

/** Signs in with USER_PASSWORD_AUTH and returns the tokens. */
export async function signIn(email: string, password: string): Promise<Pick<TestUser, 'accessToken' | 'idToken' | 'refreshToken'>> {
  const out = await cognitoTestClient().send(
    new InitiateAuthCommand({
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: required('USER_POOL_CLIENT_ID'),
      AuthParameters: { USERNAME: email, PASSWORD: password },
    }),
  );
  const r = out.AuthenticationResult;
  if (!r?.AccessToken || !r.IdToken || !r.RefreshToken) throw new Error(`sign-in of ${email} returned no tokens (challenge ${out.ChallengeName ?? 'none'})`);
  return { accessToken: r.AccessToken, idToken: r.IdToken, refreshToken: r.RefreshToken };
}

/** Creates a confirmed user with a unique email and signs them in. */
export async function createTestUser(opts: { email?: string; password?: string; prefix?: string } = {}): Promise<TestUser> {
  const email = opts.email ?? `${opts.prefix ?? 'user'}-${randomUUID()}@example.test`;
  const password = opts.password ?? testPassword();
  const signUp = await cognitoTestClient().send(
    new SignUpCommand({
      ClientId: required('USER_POOL_CLIENT_ID'),
      Username: email,
      Password: password,
      UserAttributes: [{ Name: 'email', Value: email }],
    }),
  );
  await cognitoTestClient().send(new AdminConfirmSignUpCommand({ UserPoolId: required('USER_POOL_ID'), Username: email }));
  const tokens = await signIn(email, password);
  const sub = signUp.UserSub ?? JSON.parse(Buffer.from(tokens.accessToken.split('.')[1] ?? '', 'base64url').toString('utf8')).sub;
  return { email, password, sub, ...tokens };
}
