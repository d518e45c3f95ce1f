import { describe, it, expect } from '@jest/globals';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const DOCS = join(ROOT, 'docs');
const links = (file: string) => [...readFileSync(file, 'utf8').matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] as string).filter((l) => !/^(https?:|mailto:)/.test(l));
const MINE = ['README.md', 'deployment.md', 'workflows.md', 'aws-configuration.md', 'user-guide.md', 'auth-architecture.md'];

describe('docs/', () => {
  it('docs/README.md links every document in docs/', () => {
    const linked = new Set(links(join(DOCS, 'README.md')).map((l) => l.split('#')[0]));
    const docs = readdirSync(DOCS).filter((f) => (f.endsWith('.md') || f.endsWith('.json')) && f !== 'README.md');
    expect(docs.filter((f) => !linked.has(f))).toEqual([]);
  });

  it('the delivery docs link only files that exist (other areas\' docs once they land)', () => {
    const PENDING = new Set(['auth.md', 'billing.md', 'pipeline.md', 'media.md', 'realtime.md', 'web.md', 'extension.md', '../README.md']);
    const broken: string[] = [];
    for (const doc of MINE) {
      for (const link of links(join(DOCS, doc))) {
        const target = link.split('#')[0] as string;
        if (!target || PENDING.has(target)) continue;
        if (!existsSync(join(dirname(join(DOCS, doc)), target))) broken.push(`${doc} → ${link}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('the shared-authentication diagram is a Mermaid flowchart naming portal, extension, Cognito and the API', () => {
    const md = readFileSync(join(DOCS, 'auth-architecture.md'), 'utf8');
    const diagram = /```mermaid\n([\s\S]*?)```/.exec(md)?.[1] ?? '';
    expect(diagram).toMatch(/^flowchart /);
    for (const part of ['Portal', 'Extension', 'lib/auth-client', 'Cognito', 'HTTP API', 'aws-jwt-verify']) expect(diagram).toContain(part);
  });

  it('documents every SSM parameter the code reads', async () => {
    const { SECRET_PARAMETERS } = await import('../../../lib/config/secrets.ts');
    const md = readFileSync(join(DOCS, 'aws-configuration.md'), 'utf8');
    for (const name of Object.values(SECRET_PARAMETERS)) expect(md).toContain(`/clipforge/<stage>/${name}`);
  });
});
