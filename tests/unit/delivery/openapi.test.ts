import { beforeAll, describe, it, expect } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { validate, compileErrors } from '@readme/openapi-parser';
import { buildOpenApi, generate, operationId, OPENAPI_FILE, type Registries } from '../../../scripts/openapi.ts';

type Op = { security?: unknown[]; responses?: Record<string, unknown>; parameters?: { name: string; in: string; required: boolean }[]; requestBody?: unknown; 'x-auth'?: string; 'x-required-groups'?: string[] };
type Doc = { openapi: string; paths: Record<string, Record<string, Op>>; components: { securitySchemes: Record<string, Record<string, string>>; schemas: Record<string, unknown> } };

const sample: Registries = {
  things: [
    {
      method: 'GET',
      path: '/things/{id}',
      auth: 'user',
      summary: 'Read a thing',
      query: z.object({ expand: z.enum(['parts']).optional(), limit: z.coerce.number().int().max(50) }),
      responses: { 200: z.object({ id: z.string() }), 404: 'error' },
    },
    { method: 'POST', path: '/things', auth: 'admin', summary: 'Create', body: z.object({ name: z.string().min(1) }), responses: { 201: z.object({ id: z.string() }), 400: 'error' } },
    { method: 'DELETE', path: '/things/{id}', auth: 'user', summary: 'Delete', responses: { 204: 'empty' } },
    { method: 'GET', path: '/public', auth: 'public', summary: 'Open', responses: { 200: z.object({ ok: z.literal(true) }) } },
  ],
};

describe('OpenAPI generator (scripts/openapi.ts)', () => {
  it('turns a registry into a valid OpenAPI 3.1 document with auth per route', async () => {
    const doc = buildOpenApi(sample, { version: '1.2.3' }) as unknown as Doc;
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid ? 'valid' : compileErrors(result)).toBe('valid');
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.components.securitySchemes.cognito).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }));
    const get = doc.paths['/things/{id}']?.get as Op;
    expect(get.security).toEqual([{ cognito: [] }]);
    expect(get.parameters).toEqual([
      expect.objectContaining({ name: 'id', in: 'path', required: true }),
      expect.objectContaining({ name: 'expand', in: 'query', required: false }),
      expect.objectContaining({ name: 'limit', in: 'query', required: true }),
    ]);
    expect(Object.keys(get.responses ?? {})).toEqual(['200', '401', '404']);
    const post = doc.paths['/things']?.post as Op;
    expect(post['x-required-groups']).toEqual(['admin']);
    expect(Object.keys(post.responses ?? {})).toEqual(expect.arrayContaining(['201', '400', '401', '403']));
    expect(post.requestBody).toEqual({ required: true, content: { 'application/json': { schema: expect.objectContaining({ type: 'object', required: ['name'] }) } } });
    expect(doc.paths['/public']?.get?.security).toEqual([]);
    expect(doc.paths['/things/{id}']?.delete?.responses?.['204']).toEqual({ description: 'No content' });
  });

  it('refuses a route declared twice and a route without responses', () => {
    const twice = { a: [sample.things![3]!], b: [sample.things![3]!] } as Registries;
    expect(() => buildOpenApi(twice)).toThrow('GET /public is declared twice');
    expect(() => buildOpenApi({ a: [{ method: 'GET', path: '/x', auth: 'public', summary: 'x', responses: {} }] })).toThrow('declares no responses');
  });

  it('names operations after method and path', () => {
    expect(operationId('GET', '/jobs/{id}/clips')).toBe('getJobsByIdClips');
    expect(operationId('POST', '/billing/checkout-session')).toBe('postBillingCheckoutSession');
  });
});

// Coverage against serverless.yml (serverless print) lives in tests/template/openapi-coverage.test.ts.
describe('docs/openapi.json', () => {
  let doc: Doc;
  beforeAll(() => {
    doc = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')) as Doc;
  });

  it('is up to date with lib/contracts (run `npm run openapi`)', async () => {
    expect(readFileSync(OPENAPI_FILE, 'utf8')).toBe(await generate());
  }, 60_000);

  it('validates as OpenAPI 3.1', async () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid ? 'valid' : compileErrors(result)).toBe('valid');
  });

  it('documents responses for every operation and security on every non-public one', () => {
    const problems: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const id = `${method.toUpperCase()} ${path}`;
        if (!op.responses || Object.keys(op.responses).length === 0) problems.push(`${id}: no responses`);
        const secured = JSON.stringify(op.security) === JSON.stringify([{ cognito: [] }]);
        if (op['x-auth'] === 'public' ? op.security?.length !== 0 : !secured) problems.push(`${id}: security does not match x-auth ${op['x-auth']}`);
        if (op['x-auth'] !== 'public' && !op.responses?.['401']) problems.push(`${id}: protected but no 401`);
      }
    }
    expect(problems).toEqual([]);
  });
});
