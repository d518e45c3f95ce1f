import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import { resetConfigForTests } from '../../../lib/config/index.ts';
import { resetClientsForTests } from '../../../lib/aws/clients.ts';
import { handler } from '../../../functions/http/health.ts';
import { apiEvent, lambdaContext } from '../../../dev/lambda-events.ts';

/** A dependency that answers 500 to everything, so every check fails fast and is named. */
let broken: Server;
const saved = { ...process.env };
beforeAll(async () => {
  broken = createServer((_, res) => res.writeHead(500).end('{}'));
  await new Promise<void>((r) => broken.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(broken.address() as { port: number }).port}`;
  Object.assign(process.env, {
    STAGE: 'local', TABLE_NAME: 't', MEDIA_BUCKET: 'b', JOB_EVENTS_TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:x',
    USER_POOL_ID: 'p', USER_POOL_CLIENT_ID: 'c', DYNAMODB_ENDPOINT: url, FAUXQS_ENDPOINT: url, COGNITO_ENDPOINT: url,
    AWS_MAX_ATTEMPTS: '1',
  });
  resetConfigForTests();
  resetClientsForTests();
});
afterAll(async () => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
  resetConfigForTests();
  resetClientsForTests();
  await new Promise((r) => broken.close(r));
});

describe('GET /health when dependencies fail', () => {
  it('answers 503 naming each failing dependency, without the raw error text', async () => {
    const res = (await handler(apiEvent({ method: 'GET', path: '/health' }), lambdaContext())) as { statusCode: number; body: string };
    expect(res.statusCode).toBe(503);
    const body = JSON.parse(res.body) as { status: string; checks: Record<string, { ok: boolean; error?: string }> };
    expect(body.status).toBe('degraded');
    for (const name of ['dynamodb', 'messaging', 's3', 'cognito']) {
      expect(body.checks[name]?.ok).toBe(false);
      expect(Object.keys(body.checks[name] ?? {}).sort()).toEqual(['ms', 'ok']);
    }
    // Nothing of the AWS SDK's answer (error names, endpoints, resource names) reaches the public.
    expect(res.body).not.toMatch(/Exception|Error|127\.0\.0\.1|arn:aws|UnknownError/i);
  });
});
