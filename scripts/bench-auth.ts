/**
 * npm run bench:auth — what authentication costs per request.
 *  1. JWT verification with a cached JWKS (aws-jwt-verify, RS256, all claim checks).
 *  2. verifyAccessToken: the same plus the signed-out-session check (one GetItem, DynamoDB Local).
 *  3. The same trivial handler through route() (auth middleware) and publicRoute() (none):
 *     the difference is the auth middleware's overhead.
 * Everything is local: RSA keys generated here, the JWKS served on a free port (fetched once),
 * DynamoDB Local from an emulators-only stack (needs Java, like `npm run dev`).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { startLocalStack } from './demo.ts';
import { apiEvent, lambdaContext } from '../dev/lambda-events.ts';
import { makeKey, nowSeconds, signRs256, startJwksServer } from '../dev/jwt-kit.ts';

const N = Number(process.env.BENCH_N ?? 5000);
const WARMUP = 500;

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  return { mean, p50: at(0.5), p99: at(0.99) };
}
const us = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;
const line = (label: string, s: ReturnType<typeof stats>) =>
  console.log(`${label.padEnd(44)} mean ${us(s.mean).padStart(10)}  p50 ${us(s.p50).padStart(10)}  p99 ${us(s.p99).padStart(10)}`);

async function measure(fn: () => Promise<unknown>): Promise<ReturnType<typeof stats>> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  return stats(samples);
}

const key = makeKey('bench-key');
const jwks = await startJwksServer([key]);
const stack = await startLocalStack(console.log, { emulatorsOnly: true });
const poolId = 'bench_pool';
const clientId = 'benchclient';
// The local stage's configuration (lib/auth picks JwtRsaVerifier with this issuer), with the
// stack's DynamoDB Local for the revocation list.
Object.assign(process.env, stack.env, {
  USER_POOL_ID: poolId,
  USER_POOL_CLIENT_ID: clientId,
  COGNITO_ENDPOINT: jwks.url,
  LOG_LEVEL: 'ERROR',
});
const { verifyAccessToken, verifyWith, createVerifier, verifierSettings } = await import('../lib/auth/index.ts');
const { revokeSession } = await import('../lib/auth/revocation.ts');
const { route, publicRoute, json } = await import('../lib/http/http.ts');

const token = signRs256(key, {
  sub: '0b6f0c1e-0000-4000-8000-000000000001',
  iss: `${jwks.url}/${poolId}`,
  client_id: clientId,
  token_use: 'access',
  scope: 'aws.cognito.signin.user.admin',
  iat: nowSeconds(),
  exp: nowSeconds() + 3600,
  jti: randomUUID(),
  'cognito:groups': ['support'],
});

try {
  console.log(`bench:auth — ${N} iterations after ${WARMUP} warm-up, Node ${process.version}\n`);
  const jwtOnly = createVerifier(verifierSettings());
  line('JWT verification alone (cached JWKS)', await measure(() => verifyWith(jwtOnly, token)));
  const verify = await measure(() => verifyAccessToken(token));
  line('verifyAccessToken (+ signed-out check)', verify);

  const withAuth = route({}, async (req) => json(200, { sub: req.user.sub }));
  const withoutAuth = publicRoute({}, async () => json(200, { sub: 'anonymous' }));
  const event = () => apiEvent({ method: 'GET', path: '/bench', token });
  const ctx = lambdaContext();
  const protectedStats = await measure(() => withAuth(event(), ctx));
  const publicStats = await measure(() => withoutAuth(event(), ctx));
  line('handler with auth middleware (route)', protectedStats);
  line('same handler without it (publicRoute)', publicStats);
  console.log(`\nauth middleware overhead per request: mean ${us(protectedStats.mean - publicStats.mean)}, p50 ${us(protectedStats.p50 - publicStats.p50)}`);
  console.log(`JWKS fetches during the run: ${jwks.hits()} (cached after the first)`);
  const check = (await withAuth(event(), ctx)) as { statusCode: number };
  if (check.statusCode !== 200) throw new Error(`protected handler answered ${check.statusCode}`);
  // The check is real: once the session is signed out, the same token is refused.
  const signedIn = await verifyAccessToken(token);
  await revokeSession({ sessionId: signedIn.sessionId ?? '', userId: signedIn.sub });
  const refused = (await withAuth(event(), ctx)) as { statusCode: number };
  if (refused.statusCode !== 401) throw new Error(`a signed-out session's token answered ${refused.statusCode}, not 401`);
  console.log('after sign-out the same token gets 401 (checked)');
} finally {
  await jwks.stop();
  await stack.stop();
}
