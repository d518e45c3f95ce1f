import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { publicRoute, route, json } from '../../../lib/http/http.ts';
import { ConflictError } from '../../../lib/http/errors.ts';
import { apiEvent, lambdaContext } from '../../../dev/lambda-events.ts';

type Result = { statusCode: number; body?: string; headers?: Record<string, string> };
const call = async (h: (e: never, c: never) => Promise<unknown>, e: ReturnType<typeof apiEvent>) =>
  (await h(e as never, lambdaContext() as never)) as Result;
const errorOf = (r: Result) => (JSON.parse(r.body ?? '{}') as { error: { code: string; message: string; details?: Record<string, string[]> } }).error;

const echo = publicRoute({ body: z.object({ name: z.string().min(1), count: z.number().int().positive().optional() }) }, async ({ body }) => json(200, body));

describe('the HTTP middleware stack', () => {
  it('parses and validates a JSON body', async () => {
    const r = await call(echo, apiEvent({ method: 'POST', body: { name: 'a', count: 2 } }));
    expect(r.statusCode).toBe(200);
    expect(JSON.parse(r.body!)).toEqual({ name: 'a', count: 2 });
    expect(r.headers?.['x-request-id']).toBeTruthy();
  });

  it('answers 400 with field errors when validation fails', async () => {
    const r = await call(echo, apiEvent({ method: 'POST', body: { name: '', count: -1 } }));
    expect(r.statusCode).toBe(400);
    const e = errorOf(r);
    expect(e.code).toBe('VALIDATION_FAILED');
    expect(Object.keys(e.details!).sort()).toEqual(['count', 'name']);
  });

  it('answers 400 INVALID_JSON for malformed JSON and a missing body', async () => {
    for (const rawBody of ['{"name":', undefined]) {
      const r = await call(echo, apiEvent({ method: 'POST', rawBody, headers: { 'content-type': 'application/json' } }));
      expect(r.statusCode).toBe(400);
      expect(errorOf(r).code).toBe('INVALID_JSON');
    }
  });

  it('answers 415 for a body that is not JSON', async () => {
    const r = await call(echo, apiEvent({ method: 'POST', rawBody: 'name=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } }));
    expect(r.statusCode).toBe(415);
    expect(errorOf(r).code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('refuses prototype-pollution keys', async () => {
    const r = await call(echo, apiEvent({ method: 'POST', rawBody: '{"name":"a","__proto__":{"x":1}}', headers: { 'content-type': 'application/json' } }));
    expect(r.statusCode).toBeGreaterThanOrEqual(400);
    expect(r.statusCode).toBeLessThan(500);
  });

  it('maps named errors to their status and code', async () => {
    const h = publicRoute({}, async () => {
      throw new ConflictError('already there');
    });
    const r = await call(h, apiEvent({}));
    expect(r.statusCode).toBe(409);
    expect(errorOf(r)).toEqual({ code: 'CONFLICT', message: 'already there' });
  });

  it('hides unexpected errors behind a generic 500', async () => {
    const h = publicRoute({}, async () => {
      throw new Error('database password is hunter2');
    });
    const r = await call(h, apiEvent({}));
    expect(r.statusCode).toBe(500);
    expect(errorOf(r).code).toBe('INTERNAL');
    expect(r.body).not.toContain('hunter2');
  });

  it('protects routes by default: no token → 401 before the body is read', async () => {
    let ran = false;
    const h = route({ body: z.object({ a: z.string() }) }, async () => {
      ran = true;
      return json(200, {});
    });
    const r = await call(h, apiEvent({ method: 'POST', rawBody: 'not json', headers: { 'content-type': 'application/json' } }));
    expect(r.statusCode).toBe(401);
    expect(errorOf(r).code).toBe('UNAUTHORIZED');
    expect(ran).toBe(false);
  });
});
