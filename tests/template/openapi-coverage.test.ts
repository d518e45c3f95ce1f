import { beforeAll, describe, it, expect } from '@jest/globals';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { loadRegistries, OPENAPI_FILE } from '../../scripts/openapi.ts';

/**
 * The API reference covers the API: every httpApi route of serverless.yml (`serverless print
 * --stage local`) is in a lib/contracts `*Routes` registry and in docs/openapi.json, and every
 * registered route is served.
 */
const ROOT = resolve(import.meta.dirname, '..', '..');
const run = promisify(execFile);
const key = (method: string, path: string) => `${method.toUpperCase()} ${path}`;

let served: Set<string>;
let registered: Set<string>;
let documented: Set<string>;
beforeAll(async () => {
  const { stdout } = await run(process.execPath, [join(ROOT, 'node_modules/serverless/bin/serverless.js'), 'print', '--stage', 'local', '--format', 'json'], {
    cwd: ROOT,
    env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1' },
    maxBuffer: 32 * 1024 * 1024,
  });
  const printed = JSON.parse(stdout) as { functions: Record<string, { events?: { httpApi?: string | { method: string; path: string } }[] }> };
  served = new Set();
  for (const fn of Object.values(printed.functions)) {
    for (const e of fn.events ?? []) {
      if (!e.httpApi) continue;
      const [method, path] = typeof e.httpApi === 'string' ? e.httpApi.trim().split(/\s+/) : [e.httpApi.method, e.httpApi.path];
      served.add(key(method ?? '', path ?? ''));
    }
  }
  registered = new Set(Object.values(await loadRegistries()).flat().map((r) => key(r.method, r.path)));
  const doc = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')) as { paths: Record<string, Record<string, unknown>> };
  documented = new Set(Object.entries(doc.paths).flatMap(([p, item]) => Object.keys(item).map((m) => key(m, p))));
}, 300_000);

describe('OpenAPI coverage of serverless.yml', () => {
  it('serves at least the health route', () => {
    expect(served.has('GET /health')).toBe(true);
  });

  it('every served route is in a lib/contracts registry', () => {
    expect({ servedButNotInARegistry: [...served].filter((r) => !registered.has(r)).sort() }).toEqual({ servedButNotInARegistry: [] });
  });

  it('every registered route is served', () => {
    expect({ registeredButNotServed: [...registered].filter((r) => !served.has(r)).sort() }).toEqual({ registeredButNotServed: [] });
  });

  it('every served route is in docs/openapi.json', () => {
    expect({ servedButNotInOpenapiJson: [...served].filter((r) => !documented.has(r)).sort() }).toEqual({ servedButNotInOpenapiJson: [] });
  });
});
