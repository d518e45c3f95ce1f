import type { Tokens } from '../../../lib/auth-client/index.ts';

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** An unsigned JWT-shaped token (clients only decode; the API verifies). */
export function fakeJwt(claims: Record<string, unknown>): string {
  return `${b64({ alg: 'RS256', kid: 'test' })}.${b64(claims)}.c2ln`;
}

export function fakeTokens(opts: { sub?: string; email?: string; name?: string; groups?: string[]; expiresAt: number; refreshToken?: string }): Tokens {
  const exp = Math.floor(opts.expiresAt / 1000);
  const sub = opts.sub ?? 'user-1';
  return {
    accessToken: fakeJwt({ sub, token_use: 'access', exp, 'cognito:groups': opts.groups ?? [] }),
    idToken: fakeJwt({ sub, email: opts.email ?? 'a@example.com', name: opts.name, exp, 'cognito:groups': opts.groups ?? [] }),
    refreshToken: opts.refreshToken ?? 'refresh-1',
    expiresAt: exp * 1000,
  };
}

export interface RecordedCall {
  target: string;
  body: Record<string, unknown>;
}

/** A fetch double speaking the Cognito JSON protocol: answers by X-Amz-Target. */
export function cognitoFetch(handlers: Record<string, (body: Record<string, unknown>) => { status?: number; body: unknown }>) {
  const calls: RecordedCall[] = [];
  const fetch = async (_url: string, init: { headers: Record<string, string>; body: string }) => {
    const target = (init.headers['X-Amz-Target'] ?? '').replace('AWSCognitoIdentityProviderService.', '');
    const body = JSON.parse(init.body) as Record<string, unknown>;
    calls.push({ target, body });
    const handler = handlers[target];
    const out = handler ? handler(body) : { status: 400, body: { __type: 'UnknownOperation', message: target } };
    const status = out.status ?? 200;
    return { ok: status < 300, status, text: async () => JSON.stringify(out.body) };
  };
  return { fetch, calls };
}
