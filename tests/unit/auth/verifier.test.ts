import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createVerifier, httpFetcher, verifyWith, bearerToken, type VerifierSettings } from '../../../lib/auth/verifier.ts';
import { requireRole } from '../../../lib/auth/index.ts';
import { rolesForGroups } from '../../../lib/auth/roles.ts';
import { HttpError } from '../../../lib/http/errors.ts';
import { hs256WithPublicKey, makeKey, nowSeconds, signPs256, signRs256, startJwksServer, unsigned, type JwksServer, type KeyPair } from '../../../dev/jwt-kit.ts';

const CLIENT_ID = 'clientabc123';
const POOL_ID = 'us-east-1_AbCdEf123';
const AWS_ISSUER = `https://cognito-idp.us-east-1.amazonaws.com/${POOL_ID}`;

let ours: KeyPair;
let otherPool: KeyPair;
let server: JwksServer;
/** The keys the JWKS server publishes (read on every request: a test can rotate them). */
const published: KeyPair[] = [];

beforeAll(async () => {
  ours = makeKey('our-key-1');
  otherPool = makeKey('other-pool-key');
  published.push(ours);
  server = await startJwksServer(published);
}, 60_000);
afterAll(async () => {
  await server.stop();
});

/** Both code paths: cognito-local (JwtRsaVerifier, http issuer) and AWS (CognitoJwtVerifier). */
const modes: { name: string; settings: () => VerifierSettings; requested: string[] }[] = [
  {
    name: 'local stage (JwtRsaVerifier)',
    requested: [],
    settings: () => ({
      mode: 'local',
      userPoolId: 'local_pool',
      clientId: CLIENT_ID,
      issuer: `${server.url}/local_pool`,
      jwksUri: `${server.url}/local_pool/.well-known/jwks.json`,
    }),
  },
  {
    name: 'AWS stage (CognitoJwtVerifier)',
    requested: [],
    settings() {
      // The AWS JWKS URI is derived from the pool id; serve it from the local JWKS server.
      return {
        mode: 'cognito',
        userPoolId: POOL_ID,
        clientId: CLIENT_ID,
        issuer: AWS_ISSUER,
        jwksUri: `${AWS_ISSUER}/.well-known/jwks.json`,
        fetcher: {
          fetch: (uri: string) => {
            this.requested.push(uri);
            return httpFetcher.fetch(`${server.url}/.well-known/jwks.json`);
          },
        },
      };
    },
  },
];

describe.each(modes)('access token verification — $name', (mode) => {
  const issuer = () => mode.settings().issuer;
  const claims = (overrides: Record<string, unknown> = {}) => ({
    sub: '6f1c2d1e-1111-4222-8333-944445555666',
    iss: issuer(),
    client_id: CLIENT_ID,
    token_use: 'access',
    scope: 'aws.cognito.signin.user.admin',
    auth_time: nowSeconds(),
    iat: nowSeconds(),
    exp: nowSeconds() + 900,
    jti: 'jti-1',
    username: '6f1c2d1e-1111-4222-8333-944445555666',
    'cognito:groups': ['admin'],
    ...overrides,
  });
  const verifier = () => createVerifier(mode.settings());

  it('accepts a valid access token and maps groups to roles', async () => {
    const user = await verifyWith(verifier(), signRs256(ours, claims()));
    expect(user).toEqual({
      sub: '6f1c2d1e-1111-4222-8333-944445555666',
      username: '6f1c2d1e-1111-4222-8333-944445555666',
      groups: ['admin'],
      roles: ['admin', 'support', 'user'],
      clientId: CLIENT_ID,
      scopes: ['aws.cognito.signin.user.admin'],
      sessionId: 'jti-1',
      signedInAt: expect.any(Number),
    });
    if (mode.requested.length) expect(mode.requested.every((u) => u === `${AWS_ISSUER}/.well-known/jwks.json`)).toBe(true);
  });

  it('dates the sign-in by auth_time (kept across refreshes on AWS), else iat', async () => {
    expect((await verifyWith(verifier(), signRs256(ours, claims({ auth_time: 1000, iat: nowSeconds() })))).signedInAt).toBe(1000);
    const iat = nowSeconds() - 5;
    expect((await verifyWith(verifier(), signRs256(ours, claims({ auth_time: undefined, iat })))).signedInAt).toBe(iat);
  });

  it("names the token's session by Cognito's origin_jti, else its jti (cognito-local)", async () => {
    expect((await verifyWith(verifier(), signRs256(ours, claims({ origin_jti: 'origin-7' })))).sessionId).toBe('origin-7');
    expect((await verifyWith(verifier(), signRs256(ours, claims({ jti: undefined })))).sessionId).toBeUndefined();
  });

  it('accepts a token that expired within the grace period (clock skew)', async () => {
    const user = await verifyWith(verifier(), signRs256(ours, claims({ exp: nowSeconds() - 2 })));
    expect(user.roles).toEqual(['admin', 'support', 'user']);
  });

  const header = (obj: unknown) => Buffer.from(JSON.stringify(obj)).toString('base64url');
  const attacks: [string, () => string][] = [
    ['alg none', () => unsigned(claims(), ours.kid)],
    ['HS256 signed with the public key', () => hs256WithPublicKey(ours, claims())],
    ['PS256 signed with our own key (the key is RS256 only)', () => signPs256(ours, claims())],
    ['expired', () => signRs256(ours, claims({ exp: nowSeconds() - 60, iat: nowSeconds() - 1000 }))],
    ['nbf in the future', () => signRs256(ours, claims({ nbf: nowSeconds() + 600 }))],
    ['iat in the future', () => signRs256(ours, claims({ iat: nowSeconds() + 3600, exp: nowSeconds() + 7200 }))],
    ['wrong issuer', () => signRs256(ours, claims({ iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Evil' }))],
    ['wrong client id', () => signRs256(ours, claims({ client_id: 'someoneelse' }))],
    ['ID token used as an access token', () => signRs256(ours, claims({ token_use: 'id', aud: CLIENT_ID, client_id: undefined, email: 'a@b.c' }))],
    ['token of another pool (its key, its kid, its issuer)', () => signRs256(otherPool, claims({ iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other' }))],
    ['token of another pool signed with a key claiming our kid', () => signRs256({ ...otherPool, kid: ours.kid }, claims())],
    ['payload tampered after signing', () => {
      const [h, , s] = signRs256(ours, claims()).split('.');
      return `${h}.${Buffer.from(JSON.stringify(claims({ 'cognito:groups': ['admin', 'support'] }))).toString('base64url')}.${s}`;
    }],
    ['no exp claim', () => signRs256(ours, claims({ exp: undefined }))],
    ['no sub claim', () => signRs256(ours, claims({ sub: undefined }))],
    ['RS256 header but no kid', () => signRs256(ours, claims(), { kid: undefined })],
    ['malformed: empty', () => ''],
    ['malformed: two parts', () => `${header({ alg: 'RS256', kid: ours.kid })}.${header(claims())}`],
    ['malformed: bad JSON header', () => `${Buffer.from('{"alg":').toString('base64url')}.${header(claims())}.sig`],
    ['malformed: bad JSON payload', () => `${header({ alg: 'RS256', kid: ours.kid })}.${Buffer.from('{nope').toString('base64url')}.sig`],
    ['malformed: not base64', () => '!!!.@@@.###'],
    ['malformed: oversized', () => 'a'.repeat(20_000)],
  ];

  it.each(attacks)('%s → 401', async (_name, make) => {
    const error = await verifyWith(verifier(), make()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(401);
    expect((error as HttpError).code).toBe('UNAUTHORIZED');
  });

  it('accepts a token of a rotated-in key after one JWKS refetch, and keeps the old key working', async () => {
    const verify = verifier();
    await verifyWith(verify, signRs256(ours, claims())); // the JWKS as it was
    const rotated = makeKey(`rotated-${mode.name}`);
    published.push(rotated);
    try {
      const before = server.hits();
      await expect(verifyWith(verify, signRs256(rotated, claims()))).resolves.toMatchObject({ clientId: CLIENT_ID });
      expect(server.hits() - before).toBe(1);
      // Both keys now come from the cache: no further fetch.
      await expect(verifyWith(verify, signRs256(rotated, claims()))).resolves.toMatchObject({ clientId: CLIENT_ID });
      await expect(verifyWith(verify, signRs256(ours, claims()))).resolves.toMatchObject({ clientId: CLIENT_ID });
      expect(server.hits() - before).toBe(1);
    } finally {
      published.splice(published.indexOf(rotated), 1);
    }
  });

  it('refuses a thousand unknown-kid tokens with at most one JWKS fetch per penalty window', async () => {
    const verify = verifier();
    await verifyWith(verify, signRs256(ours, claims())); // warms the JWKS cache
    const before = server.hits();
    // The kid is looked up before the signature is checked, so one attacker signature is reused.
    const [, body, signature] = signRs256(makeKey('attacker'), claims()).split('.');
    const tokens = Array.from({ length: 1000 }, (_, i) => `${header({ alg: 'RS256', typ: 'JWT', kid: `unknown-${i}` })}.${body}.${signature}`);
    const results = await Promise.all(tokens.map((t) => verifyWith(verify, t).then(() => 200, (e: HttpError) => e.status)));
    expect(new Set(results)).toEqual(new Set([401]));
    expect(server.hits() - before).toBeLessThanOrEqual(1);
    // Legitimate tokens keep working from the cache, without another fetch.
    await expect(verifyWith(verify, signRs256(ours, claims()))).resolves.toMatchObject({ clientId: CLIENT_ID });
    expect(server.hits() - before).toBeLessThanOrEqual(1);
  }, 60_000);
});

describe('JWKS endpoint failures', () => {
  it('answers 503 (never 500) when the signing keys cannot be fetched', async () => {
    const dead = await startJwksServer([]);
    const url = dead.url;
    await dead.stop();
    const verify = createVerifier({ mode: 'local', userPoolId: 'p', clientId: CLIENT_ID, issuer: `${url}/p`, jwksUri: `${url}/p/.well-known/jwks.json` });
    const token = signRs256(ours, { sub: 's', iss: `${url}/p`, client_id: CLIENT_ID, token_use: 'access', exp: nowSeconds() + 60 });
    const error = (await verifyWith(verify, token).catch((e: unknown) => e)) as HttpError;
    expect(error.status).toBe(503);
  });
});

describe('bearerToken', () => {
  it.each([
    ['Bearer abc.def.ghi', 'abc.def.ghi'],
    ['bearer abc.def.ghi', 'abc.def.ghi'],
    ['  Bearer   abc.def.ghi  ', 'abc.def.ghi'],
    ['Basic dXNlcjpwYXNz', undefined],
    ['Bearer', undefined],
    ['Bearer a b', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%j → %j', (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });
});

describe('roles', () => {
  it('maps groups to nested roles and ignores unknown groups', () => {
    expect(rolesForGroups([])).toEqual(['user']);
    expect(rolesForGroups(['support'])).toEqual(['support', 'user']);
    expect(rolesForGroups(['admin'])).toEqual(['admin', 'support', 'user']);
    expect(rolesForGroups(['superuser', 'root'])).toEqual(['user']);
  });

  it('requireRole answers 403 for a missing role', () => {
    const user = { sub: 's', groups: [], roles: rolesForGroups([]), clientId: 'c', scopes: [] };
    expect(() => requireRole(user, ['admin'])).toThrow(expect.objectContaining({ status: 403 }) as unknown as Error);
    expect(() => requireRole(user, ['user'])).not.toThrow();
    expect(() => requireRole({ ...user, roles: rolesForGroups(['support']) }, ['admin', 'support'])).not.toThrow();
  });
});
