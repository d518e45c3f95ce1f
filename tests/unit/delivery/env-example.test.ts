import { describe, it, expect } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { envSchema } from '../../../lib/config/index.ts';
import { ENV_NAMES } from '../../../extension/utils/config.ts';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const example = readFileSync(join(ROOT, '.env.example'), 'utf8');
const lines = example.split('\n');
const VAR = /^#?\s?([A-Z][A-Z0-9_]*)=/;
/** Variables named in .env.example (set, or commented out as `# NAME=`) → the comment explaining them:
 *  the nearest comment line above, across a block of consecutive variable lines. */
const documented = new Map<string, string>();
lines.forEach((line, i) => {
  const name = VAR.exec(line)?.[1];
  if (!name || documented.has(name)) return;
  let j = i - 1;
  while (j >= 0 && VAR.test(lines[j] ?? '')) j--;
  const above = lines[j] ?? '';
  documented.set(name, above.startsWith('#') ? above : '');
});

/** Keys of the portal's zod schema (web/app/lib/env.server.ts `const schema = z.object({...})`). */
function portalKeys(): string[] {
  const src = readFileSync(join(ROOT, 'web/app/lib/env.server.ts'), 'utf8');
  const block = /const schema = z\.object\(\{([\s\S]*?)\n\}\);/.exec(src)?.[1] ?? '';
  return [...block.matchAll(/^\s{2}([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1] as string);
}

describe('.env.example', () => {
  it('lists every backend variable of lib/config envSchema', () => {
    const missing = Object.keys(envSchema.shape).filter((k) => !documented.has(k));
    expect(missing).toEqual([]);
  });

  it('lists every extension WXT_ variable and every portal variable', () => {
    expect(ENV_NAMES.length).toBeGreaterThan(0);
    const portal = portalKeys();
    expect(portal.length).toBeGreaterThan(0);
    expect([...ENV_NAMES, ...portal].filter((k) => !documented.has(k))).toEqual([]);
  });

  it('explains every variable with a comment and holds no real secret', () => {
    const bare = [...documented].filter(([, comment]) => comment.length === 0).map(([k]) => k);
    expect(bare).toEqual([]);
    expect(example).not.toMatch(/sk_(live|test)_[A-Za-z0-9]{8,}|whsec_[A-Za-z0-9]{8,}|sk-[A-Za-z0-9]{20,}|AKIA[0-9A-Z]{16}/);
  });
});
