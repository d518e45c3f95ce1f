import { afterEach, describe, it, expect } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { smoke } from '../../../scripts/smoke.ts';
import { parseDeployList, previousTimestamp, httpApiUrlFromInfo, rollback } from '../../../scripts/rollback.ts';
import { planWrites, putParams, type ParameterWrite } from '../../../scripts/put-ssm-params.ts';
import { stageEnv, outputsFrom, toDotenv, localStageEnv, toShell, LOCAL_POOL } from '../../../scripts/stage-env.ts';
import { parseSummary, toMarkdown } from '../../../scripts/coverage-summary.ts';
import { loadSecrets } from '../../../lib/config/secrets.ts';
import { GROUP_SECRETS } from '../../../lib/config/secret-names.ts';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');

const healthy = { status: 'ok', stage: 'dev', checks: { dynamodb: { ok: true, ms: 3 }, messaging: { ok: true, ms: 4 }, s3: { ok: true, ms: 5 }, cognito: { ok: true, ms: 6 } } };
const degraded = { ...healthy, status: 'degraded', checks: { ...healthy.checks, s3: { ok: false, ms: 3000 } } };

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});
/** A stand-in API on a free port answering /health from a list of canned replies. */
async function api(replies: { status: number; body: unknown }[]): Promise<{ url: string; hits: string[] }> {
  const hits: string[] = [];
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const reply = replies[Math.min(hits.length - 1, replies.length - 1)]!;
    res.writeHead(reply.status, { 'content-type': 'application/json' });
    res.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, hits };
}
const quiet = { log: () => {}, sleep: async () => {} };

describe('scripts/smoke.ts', () => {
  it('passes when /health answers 200 ok', async () => {
    const { url, hits } = await api([{ status: 200, body: healthy }]);
    const r = await smoke({ url, attempts: 3, ...quiet, expectStage: 'dev' });
    expect(r).toEqual({ ok: true, attempts: 1, report: healthy });
    expect(hits).toEqual(['/health']);
  });

  it('retries while the deployment settles, then passes', async () => {
    const { url, hits } = await api([{ status: 503, body: degraded }, { status: 502, body: 'Bad Gateway' }, { status: 200, body: healthy }]);
    const r = await smoke({ url: url + '/', attempts: 5, ...quiet });
    expect(r.ok).toBe(true);
    expect(r.attempts).toBe(3);
    expect(hits).toHaveLength(3);
  });

  it('fails naming the failing dependency', async () => {
    const { url } = await api([{ status: 503, body: degraded }]);
    const r = await smoke({ url, attempts: 2, ...quiet });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/503 degraded: s3$/);
  });

  it('fails on a body that is not a health report, and on the wrong stage', async () => {
    const { url } = await api([{ status: 200, body: { hello: 'world' } }]);
    expect(await smoke({ url, attempts: 1, ...quiet })).toEqual(expect.objectContaining({ ok: false, reason: expect.stringMatching(/unexpected body/) }));
    await new Promise<void>((r) => server!.close(() => r()));
    const other = await api([{ status: 200, body: { ...healthy, stage: 'staging' } }]);
    expect(await smoke({ url: other.url, attempts: 1, expectStage: 'prod', ...quiet })).toEqual(expect.objectContaining({ ok: false, reason: expect.stringMatching(/stage "staging", expected "prod"/) }));
  });

  it('fails when nothing listens', async () => {
    const { url } = await api([{ status: 200, body: healthy }]);
    await new Promise<void>((r) => server!.close(() => r()));
    server = undefined;
    const r = await smoke({ url, attempts: 1, timeoutMs: 2000, ...quiet });
    expect(!r.ok && r.reason).toMatch(/failed/);
  });
});

describe('scripts/rollback.ts', () => {
  const list = `Listing deployments:
-------------
2026-11-20 10:00:00 UTC
Timestamp: 1763632800000
Files:
  - clipforge.zip
2026-11-24 10:00:00 UTC
Timestamp: 1763978400000
Files:
  - clipforge.zip
2026-11-26 10:00:00 UTC
Timestamp: 1764151200000
Files:
  - clipforge.zip
`;
  it('finds the deployment before the live one', () => {
    expect(parseDeployList(list)).toEqual(['1763632800000', '1763978400000', '1764151200000']);
    expect(previousTimestamp(parseDeployList(list))).toBe('1763978400000');
    expect(previousTimestamp(parseDeployList(list), '1763978400000')).toBe('1763632800000');
    expect(() => previousTimestamp(['1763632800000'])).toThrow(/No deployment older/);
  });

  it('reads the API URL from serverless info', () => {
    expect(httpApiUrlFromInfo('Stack Outputs:\n  HttpApiUrl: https://abc.execute-api.us-east-1.amazonaws.com\n')).toBe('https://abc.execute-api.us-east-1.amazonaws.com');
  });

  it('redeploys the previous artifact and smoke-tests it', async () => {
    const { url } = await api([{ status: 200, body: { ...healthy, stage: 'prod' } }]);
    const calls: string[][] = [];
    const exec = async (args: string[]) => {
      calls.push(args);
      if (args[0] === 'deploy') return list;
      if (args[0] === 'info') return `HttpApiUrl: ${url}\n`;
      return 'ok';
    };
    await expect(rollback({ stage: 'prod', region: 'eu-west-1', dryRun: false, exec, log: () => {} })).resolves.toBe('1763978400000');
    expect(calls).toEqual([
      ['deploy', 'list', '--stage', 'prod', '--region', 'eu-west-1'],
      ['rollback', '--timestamp', '1763978400000', '--stage', 'prod', '--region', 'eu-west-1'],
      ['info', '--verbose', '--stage', 'prod', '--region', 'eu-west-1'],
    ]);
  });

  it('does nothing but report in a dry run', async () => {
    const calls: string[][] = [];
    await rollback({ stage: 'dev', region: 'us-east-1', dryRun: true, exec: async (a) => (calls.push(a), list), log: () => {} });
    expect(calls).toEqual([['deploy', 'list', '--stage', 'dev', '--region', 'us-east-1']]);
  });
});

describe('scripts/put-ssm-params.ts', () => {
  it('maps the secrets to /clipforge/<stage>/ SecureStrings', () => {
    const { writes, missing } = planWrites('clipforge', 'prod', { STRIPE_SECRET_KEY: 'sk_test_1', STRIPE_WEBHOOK_SECRET: ' whsec_1 ', OPENAI_API_KEY: '' });
    expect(writes).toEqual([
      { env: 'STRIPE_SECRET_KEY', name: '/clipforge/prod/stripe-secret-key', value: 'sk_test_1' },
      { env: 'STRIPE_WEBHOOK_SECRET', name: '/clipforge/prod/stripe-webhook-secret', value: 'whsec_1' },
    ]);
    expect(missing).toEqual(['OPENAI_API_KEY']);
    expect(() => planWrites('clipforge', 'local', {})).toThrow(/Unknown stage/);
  });

  it('refuses to deploy with a missing secret unless allowed, and never logs values', async () => {
    const put: ParameterWrite[] = [];
    const lines: string[] = [];
    const env = { STRIPE_SECRET_KEY: 'sk_test_secret', STRIPE_WEBHOOK_SECRET: 'whsec_secret' };
    await expect(putParams({ service: 'clipforge', stage: 'dev', env, allowMissing: false, put: async (w) => void put.push(w), log: (l) => lines.push(l) })).rejects.toThrow(/Missing secrets for dev: OPENAI_API_KEY/);
    expect(put).toEqual([]);
    await expect(putParams({ service: 'clipforge', stage: 'dev', env, allowMissing: true, put: async (w) => void put.push(w), log: (l) => lines.push(l) })).resolves.toBe(2);
    expect(put.map((w) => w.name)).toEqual(['/clipforge/dev/stripe-secret-key', '/clipforge/dev/stripe-webhook-secret']);
    expect(lines.join('\n')).not.toMatch(/sk_test_secret|whsec_secret/);
  });
});

describe('lib/config/secrets.ts', () => {
  it('fills missing secrets from SSM under SECRETS_PATH and keeps values already set', async () => {
    const env: Record<string, string | undefined> = { SECRETS_PATH: '/clipforge/prod/', OPENAI_API_KEY: 'from-env' };
    const asked: string[][] = [];
    const set = await loadSecrets(env, async (names) => {
      asked.push(names);
      return { '/clipforge/prod/stripe-secret-key': 'sk_live_x' };
    });
    expect(asked).toEqual([['/clipforge/prod/stripe-secret-key', '/clipforge/prod/stripe-webhook-secret']]);
    expect(set).toEqual(['STRIPE_SECRET_KEY']);
    expect(env).toEqual({ SECRETS_PATH: '/clipforge/prod/', OPENAI_API_KEY: 'from-env', STRIPE_SECRET_KEY: 'sk_live_x' });
  });

  it("asks SSM only for the names a function group may read (GROUP_SECRETS; IAM refuses the whole call otherwise)", async () => {
    const asked: string[][] = [];
    const env: Record<string, string | undefined> = { SECRETS_PATH: '/clipforge/prod/' };
    await loadSecrets(env, async (names) => (asked.push(names), { '/clipforge/prod/openai-api-key': 'sk-openai' }), GROUP_SECRETS.media);
    expect(asked).toEqual([['/clipforge/prod/openai-api-key']]);
    expect(env.OPENAI_API_KEY).toBe('sk-openai');
    await expect(loadSecrets(env, async () => ({}), GROUP_SECRETS.pipeline)).resolves.toEqual([]);
  });

  it('does nothing without SECRETS_PATH (local stage) and rejects a malformed path', async () => {
    const fetch = async () => {
      throw new Error('must not be called');
    };
    await expect(loadSecrets({}, fetch)).resolves.toEqual([]);
    await expect(loadSecrets({ SECRETS_PATH: 'clipforge/prod' }, fetch)).rejects.toThrow(/SECRETS_PATH/);
  });
});

describe('scripts/stage-env.ts', () => {
  const describeStacks = {
    Stacks: [{ Outputs: [
      { OutputKey: 'HttpApiUrl', OutputValue: 'https://abc.execute-api.us-east-1.amazonaws.com' },
      { OutputKey: 'ServiceEndpointWebsocket', OutputValue: 'wss://ws1.execute-api.us-east-1.amazonaws.com/prod' },
      { OutputKey: 'Region', OutputValue: 'us-east-1' },
      { OutputKey: 'UserPoolId', OutputValue: 'us-east-1_AbC' },
      { OutputKey: 'UserPoolClientId', OutputValue: 'client123' },
      { OutputKey: 'UserPoolDomain', OutputValue: 'clipforge.auth.us-east-1.amazoncognito.com' },
    ] }],
  };
  it('builds the portal and WXT_ settings from the stack outputs', () => {
    const env = stageEnv({ stage: 'prod', outputs: outputsFrom(describeStacks), portalUrl: 'https://app.clipforge.example', socialProviders: ['Google'] });
    expect(env.web).toEqual({
      STAGE: 'prod', API_URL: 'https://abc.execute-api.us-east-1.amazonaws.com', WS_URL: 'wss://ws1.execute-api.us-east-1.amazonaws.com/prod', AWS_REGION: 'us-east-1',
      USER_POOL_ID: 'us-east-1_AbC', USER_POOL_CLIENT_ID: 'client123', COGNITO_DOMAIN: 'clipforge.auth.us-east-1.amazoncognito.com', SOCIAL_PROVIDERS: 'Google', PORTAL_URL: 'https://app.clipforge.example',
    });
    expect(env.extension.WXT_API_URL).toBe(env.web.API_URL);
    expect(Object.keys(env.extension).every((k) => k.startsWith('WXT_'))).toBe(true);
    expect(toDotenv({ A: '1', B: 'x' })).toBe('A=1\nB=x\n');
  });
  it('prefers the custom API domain once it exists, and names a missing output', () => {
    const outputs = { ...outputsFrom(describeStacks), ApiDomainTarget: 'd-1.execute-api.us-east-1.amazonaws.com' };
    expect(stageEnv({ stage: 'prod', outputs, portalUrl: 'https://app.clipforge.example', apiDomain: 'api.clipforge.example' }).web.API_URL).toBe('https://api.clipforge.example');
    expect(() => stageEnv({ stage: 'dev', outputs: { Region: 'us-east-1' }, portalUrl: 'https://x' })).toThrow(/HttpApiUrl is missing/);
  });
  it('the local stage points at the `npm run dev` stack (ports overridable), with no AWS', () => {
    const env = localStageEnv({ API_PORT: '4000' });
    expect(env.extension).toEqual({
      WXT_API_URL: 'http://127.0.0.1:4000', WXT_WS_URL: 'ws://127.0.0.1:3001', WXT_COGNITO_ENDPOINT: 'http://localhost:9229',
      WXT_USER_POOL_ID: LOCAL_POOL.userPoolId, WXT_USER_POOL_CLIENT_ID: LOCAL_POOL.userPoolClientId, WXT_PORTAL_URL: 'http://localhost:5173',
    });
    expect(env.web).toMatchObject({ STAGE: 'local', API_URL: 'http://127.0.0.1:4000', COGNITO_ENDPOINT: 'http://localhost:9229' });
    // The ids the local stack seeds cognito-local with (serverless.yml params.local).
    const yml = readFileSync(join(ROOT, 'serverless.yml'), 'utf8');
    expect(yml).toContain(`userPoolId: ${LOCAL_POOL.userPoolId}`);
    expect(yml).toContain(`userPoolClientId: ${LOCAL_POOL.userPoolClientId}`);
    expect(toShell({ A: "it's" })).toBe("export A='it'\\''s'\n");
  });
});

describe('scripts/coverage-summary.ts', () => {
  it('renders totals and the least covered files', () => {
    const m = (pct: number) => ({ total: 10, covered: pct / 10, pct });
    const md = toMarkdown(parseSummary({ total: { lines: m(80), statements: m(70), functions: m(60), branches: m(50) }, '/x/lib/a.ts': { lines: m(10), statements: m(10), functions: m(10), branches: m(10) } }), 'unit');
    expect(md).toContain('### Coverage — unit');
    expect(md).toContain('| lines | 80.0% | 8/10 |');
    expect(md).toContain('| /x/lib/a.ts | 10.0% |');
    expect(() => parseSummary({})).toThrow();
  });
});
