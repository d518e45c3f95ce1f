/**
 * Generates docs/openapi.json (OpenAPI 3.1) from every `*Routes: RouteSpec[]` registry exported by
 * lib/contracts/*.ts, converting the zod schemas with zod 4's z.toJSONSchema.
 *
 *   npm run openapi              write docs/openapi.json
 *   npm run openapi -- --check   exit 1 when docs/openapi.json is stale (CI)
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import type { RouteSpec } from '../lib/contracts/routes.ts';
import { apiErrorSchema } from '../lib/contracts/errors.ts';

type Json = Record<string, unknown>;
export type Registries = Record<string, RouteSpec[]>;

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const OPENAPI_FILE = join(ROOT, 'docs', 'openapi.json');
const CONTRACTS_DIR = join(ROOT, 'lib', 'contracts');
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

/** Imports lib/contracts/*.ts and returns every exported array named `<area>Routes`, keyed by area. */
export async function loadRegistries(dir = CONTRACTS_DIR): Promise<Registries> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.includes('.test.')).sort();
  const registries: Registries = {};
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(dir, file)).href)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(mod)) {
      if (!/^[a-z][A-Za-z0-9]*Routes$/.test(name) || !Array.isArray(value)) continue;
      const area = name.slice(0, -'Routes'.length);
      if (registries[area] && registries[area] !== value) throw new Error(`Two registries named ${name}`);
      registries[area] = value as RouteSpec[];
    }
  }
  return registries;
}

/** A JSON Schema from zod, with nested $defs hoisted into components.schemas under a unique prefix. */
function schemaOf(schema: z.ZodType, io: 'input' | 'output', prefix: string, components: Json): Json {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', reused: 'inline', cycles: 'ref' }) as Json;
  delete json.$schema;
  const defs = json.$defs as Record<string, Json> | undefined;
  delete json.$defs;
  if (!defs) return json;
  const rename = (id: string) => `${prefix}_${id}`.replace(/[^A-Za-z0-9._-]/g, '_');
  const rewrite = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (node && typeof node === 'object') {
      const out: Json = {};
      for (const [k, v] of Object.entries(node)) {
        out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/')
          ? `#/components/schemas/${rename(v.slice('#/$defs/'.length))}`
          : k === '$ref' && v === '#' ? `#/components/schemas/${prefix}` : rewrite(v);
      }
      return out;
    }
    return node;
  };
  for (const [id, def] of Object.entries(defs)) components[rename(id)] = rewrite(def);
  const root = rewrite(json) as Json;
  if (JSON.stringify(root).includes(`#/components/schemas/${prefix}"`)) components[prefix] = root;
  return root;
}

const pascal = (s: string) => s.replace(/(^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_, __, c: string) => c.toUpperCase());

/** operationId like getJobsById for GET /jobs/{id}. */
export function operationId(method: string, path: string): string {
  const parts = path.split('/').filter(Boolean).map((p) => (p.startsWith('{') ? `By${pascal(p.slice(1, -1))}` : pascal(p)));
  return method.toLowerCase() + parts.join('');
}

function queryParameters(route: RouteSpec, components: Json, prefix: string): Json[] {
  if (!route.query) return [];
  const json = schemaOf(route.query, 'input', `${prefix}Query`, components);
  const props = (json.properties ?? {}) as Record<string, Json>;
  const required = new Set((json.required as string[] | undefined) ?? []);
  return Object.entries(props).map(([name, schema]) => ({
    name,
    in: 'query',
    required: required.has(name),
    ...(typeof schema.description === 'string' ? { description: schema.description } : {}),
    schema,
  }));
}

export interface BuildOptions {
  version?: string;
  servers?: { url: string; description: string }[];
}

/** Builds the OpenAPI 3.1 document. Throws on a malformed or duplicated route. */
export function buildOpenApi(registries: Registries, opts: BuildOptions = {}): Json {
  const schemas: Json = {
    Error: schemaOf(apiErrorSchema, 'output', 'Error', {}),
  };
  const paths: Record<string, Record<string, Json>> = {};
  const tags: Json[] = [];
  for (const area of Object.keys(registries).sort()) {
    tags.push({ name: area });
    for (const route of registries[area] ?? []) {
      if (!METHODS.has(route.method)) throw new Error(`${area}: unsupported method ${route.method} on ${route.path}`);
      if (!route.path.startsWith('/')) throw new Error(`${area}: path must start with / (${route.path})`);
      const method = route.method.toLowerCase();
      const item = (paths[route.path] ??= {});
      if (item[method]) throw new Error(`${route.method} ${route.path} is declared twice (second time in ${area}Routes)`);
      const opId = operationId(route.method, route.path);
      const prefix = pascal(opId);
      const pathParams = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => ({
        name: m[1],
        in: 'path',
        required: true,
        schema: { type: 'string' },
      }));
      const parameters = [...pathParams, ...queryParameters(route, schemas, prefix)];
      const responses: Json = {};
      const statuses = Object.keys(route.responses);
      if (statuses.length === 0) throw new Error(`${route.method} ${route.path} declares no responses`);
      for (const status of statuses) {
        const r = route.responses[Number(status)];
        const description = describeStatus(Number(status));
        if (r === 'empty') responses[status] = { description };
        else if (r === 'error') responses[status] = { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
        else if (r) responses[status] = { description, content: { 'application/json': { schema: schemaOf(r, 'output', `${prefix}${status}`, schemas) } } };
      }
      if (route.auth !== 'public') {
        responses['401'] ??= { description: describeStatus(401), content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
        if (route.auth === 'admin') responses['403'] ??= { description: describeStatus(403), content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
      }
      const authNote = route.auth === 'public'
        ? 'Public: no token required.'
        : route.auth === 'admin'
          ? 'Requires a Cognito access token of a user in the `admin` group.'
          : 'Requires a Cognito access token (Authorization: Bearer <token>).';
      item[method] = {
        operationId: opId,
        tags: [area],
        summary: route.summary,
        description: authNote,
        'x-auth': route.auth,
        ...(route.auth === 'admin' ? { 'x-required-groups': ['admin'] } : {}),
        security: route.auth === 'public' ? [] : [{ cognito: [] }],
        ...(parameters.length ? { parameters } : {}),
        ...(route.body
          ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(route.body, 'input', `${prefix}Body`, schemas) } } } }
          : {}),
        responses,
      };
    }
  }
  const sortedPaths = Object.fromEntries(Object.keys(paths).sort().map((p) => [p, paths[p]]));
  return {
    openapi: '3.1.1',
    info: {
      title: 'Clipforge API',
      version: opts.version ?? '0.0.0',
      description:
        'Long videos → short captioned clips. Generated from lib/contracts by scripts/openapi.ts; do not edit by hand. ' +
        'Authentication: docs/auth.md and docs/auth-architecture.md. Errors are always `{ "error": { "code", "message", "details"? } }`.',
    },
    servers: opts.servers ?? [
      { url: 'https://api.clipforge.example', description: 'prod' },
      { url: 'https://api.staging.clipforge.example', description: 'staging' },
      { url: 'https://api.dev.clipforge.example', description: 'dev' },
      { url: 'http://localhost:3000', description: 'local stack (npm run dev)' },
    ],
    security: [{ cognito: [] }],
    tags,
    paths: sortedPaths,
    components: {
      securitySchemes: {
        cognito: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'Amazon Cognito access token of the stage user pool (token_use=access, client_id = the app client). Admin routes also need the `admin` group in cognito:groups.',
        },
      },
      schemas: Object.fromEntries(Object.keys(schemas).sort().map((k) => [k, schemas[k]])),
    },
  };
}

function describeStatus(status: number): string {
  const names: Record<number, string> = {
    200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No content', 301: 'Moved permanently', 302: 'Redirect', 303: 'See other', 304: 'Not modified',
    400: 'Bad request', 401: 'Missing or invalid access token', 402: 'Payment required (insufficient credits or plan limit)',
    403: 'Forbidden', 404: 'Not found', 409: 'Conflict', 410: 'Gone', 413: 'Payload too large', 415: 'Unsupported media type',
    422: 'Validation failed', 429: 'Rate limited', 500: 'Internal error', 502: 'Bad gateway', 503: 'Unavailable',
  };
  return names[status] ?? `HTTP ${status}`;
}

export async function generate(): Promise<string> {
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version?: string };
  const doc = buildOpenApi(await loadRegistries(), { version: pkg.version });
  return JSON.stringify(doc, null, 2) + '\n';
}

async function main(): Promise<void> {
  const text = await generate();
  if (process.argv.includes('--check')) {
    const current = await readFile(OPENAPI_FILE, 'utf8').catch(() => '');
    if (current !== text) {
      console.error('docs/openapi.json is stale: run `npm run openapi` and commit the result.');
      process.exit(1);
    }
    console.log('docs/openapi.json is up to date.');
    return;
  }
  await writeFile(OPENAPI_FILE, text);
  const doc = JSON.parse(text) as { paths: Record<string, Json> };
  const ops = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0);
  console.log(`Wrote docs/openapi.json: ${Object.keys(doc.paths).length} paths, ${ops} operations.`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
