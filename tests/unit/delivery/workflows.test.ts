import { describe, it, expect } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const DIR = join(ROOT, '.github', 'workflows');
const files = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f)).sort();
type Job = { permissions?: unknown; steps?: { uses?: string; run?: string; with?: Record<string, unknown> }[]; uses?: string; environment?: unknown; needs?: string | string[] };
type Workflow = { on: unknown; permissions?: unknown; jobs: Record<string, Job> };
const text = (f: string) => readFileSync(join(DIR, f), 'utf8');
const workflow = (f: string) => parse(text(f)) as Workflow;
const pkg = (dir = '') => JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };

describe('GitHub Actions workflows', () => {
  it('exist for CI, deploy, the portal and the extension', () => {
    expect(files).toEqual(expect.arrayContaining(['ci.yml', 'deploy.yml', 'web.yml', 'extension.yml']));
  });

  it.each(files)('%s passes action-validator (workflow schema)', (file) => {
    const r = spawnSync(join(ROOT, 'node_modules', '.bin', 'action-validator'), [join(DIR, file)], { encoding: 'utf8' });
    expect({ status: r.status, out: r.stdout + r.stderr.replace(/^WARNING: Glob validation.*$/gm, '').trim() }).toEqual({ status: 0, out: '' });
  });

  it.each(files)('%s only runs npm scripts that exist', (file) => {
    const roots = pkg().scripts ?? {};
    const missing: string[] = [];
    // `npm run <name> [-w <workspace>]`, anywhere in a run block.
    for (const m of text(file).matchAll(/npm run ([\w:.-]+)((?:[^\n]*?)(?:-w|--workspace)[ =]([\w@/.-]+))?/g)) {
      const [, name, , ws] = m as unknown as [string, string, string | undefined, string | undefined];
      const scripts = ws ? pkg(ws.replace(/^@clipforge\//, '')).scripts ?? {} : roots;
      if (!scripts[name as string]) missing.push(`${ws ? ws + ':' : ''}${name}`);
    }
    expect(missing).toEqual([]);
  });

  it.each(files)('%s pins every action to a full commit SHA with a version comment', (file) => {
    const uses = [...text(file).matchAll(/^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/gm)].map((m) => ({ ref: m[1] as string, rest: m[2] ?? '' }));
    expect(uses.length).toBeGreaterThan(0);
    const bad = uses.filter(({ ref, rest }) => !ref.startsWith('./') && !(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/.test(ref) && /#\s*v\d+(\.\d+)*/.test(rest)));
    expect(bad).toEqual([]);
  });

  it.each(files)('%s declares least-privilege permissions', (file) => {
    const wf = workflow(file);
    // Top level: read-only contents (or nothing at all).
    expect(wf.permissions).toBeDefined();
    expect(JSON.stringify(wf.permissions)).not.toMatch(/write/);
    for (const [name, job] of Object.entries(wf.jobs)) {
      expect([name, job.permissions]).not.toEqual([name, 'write-all']);
      const perms = (job.permissions ?? {}) as Record<string, string>;
      const steps = job.steps ?? [];
      const assumesRole = steps.some((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@')) || job.uses === './.github/workflows/deploy-stage.yml';
      // OIDC tokens only where an AWS role is assumed, and then a role, never static keys.
      expect([name, perms['id-token'] === 'write']).toEqual([name, assumesRole]);
      for (const s of steps.filter((x) => x.uses?.startsWith('aws-actions/configure-aws-credentials@'))) {
        expect(s.with?.['role-to-assume']).toBeTruthy();
        expect(s.with?.['aws-access-key-id']).toBeUndefined();
      }
      if (perms.contents === 'write') expect(steps.some((s) => s.uses?.startsWith('softprops/action-gh-release@'))).toBe(true);
      if (perms['pull-requests'] === 'write') expect(steps.some((s) => s.uses?.startsWith('actions/github-script@'))).toBe(true);
    }
  });

  it('CI runs lint, typecheck, unit, integration and e2e as parallel jobs with coverage artifacts', () => {
    const ci = workflow('ci.yml');
    const runs = (job: string) => (ci.jobs[job]?.steps ?? []).map((s) => s.run ?? '').join('\n');
    expect(Object.keys(ci.jobs)).toEqual(expect.arrayContaining(['lint', 'typecheck', 'unit', 'integration', 'e2e']));
    for (const job of Object.values(ci.jobs)) expect(job.needs).toBeUndefined();
    expect(runs('lint')).toMatch(/npm ci[\s\S]*npm run lint/);
    expect(runs('unit')).toMatch(/npm run test:unit -- .*--coverage/);
    expect(runs('integration')).toMatch(/npm run test:integration -- .*--coverage/);
    expect(runs('e2e')).toMatch(/apt-get install[^\n]*chromium/);
    const uploads = ['unit', 'integration'].map((j) => ci.jobs[j]?.steps?.find((s) => s.uses?.startsWith('actions/upload-artifact@'))?.with?.name);
    expect(uploads).toEqual(['coverage-unit', 'coverage-integration']);
    expect(runs('unit')).toMatch(/coverage:summary/);
    const setups = Object.values(ci.jobs).flatMap((j) => j.steps ?? []).filter((s) => s.uses?.startsWith('actions/setup-node@'));
    for (const s of setups) expect(s.with?.cache).toBe('npm');
  });

  it('deploy: tests first, dev on main, staging on tags, prod after staging behind its environment', () => {
    const d = workflow('deploy.yml');
    expect(d.jobs.test?.uses).toBe('./.github/workflows/ci.yml');
    for (const stage of ['dev', 'staging', 'prod']) {
      const job = d.jobs[stage] as Job & { with?: { stage?: string } };
      expect(job.uses).toBe('./.github/workflows/deploy-stage.yml');
      expect(job.with?.stage).toBe(stage);
      expect([job.needs].flat()).toContain('test');
    }
    expect([d.jobs.prod?.needs].flat()).toContain('staging');
    const on = d.on as { push: { branches: string[]; tags: string[] } };
    expect(on.push.branches).toEqual(['main']);
    expect(on.push.tags.length).toBeGreaterThan(0);

    const stage = workflow('deploy-stage.yml').jobs.deploy as Job;
    expect(JSON.stringify(stage.environment)).toContain('inputs.stage');
    const order = (stage.steps ?? []).map((s) => s.uses?.split('@')[0] ?? s.run ?? '');
    const at = (re: RegExp) => order.findIndex((x) => re.test(x));
    expect(at(/configure-aws-credentials/)).toBeGreaterThan(-1);
    expect(at(/npm run ssm:put/)).toBeGreaterThan(at(/configure-aws-credentials/));
    expect(at(/npm run deploy/)).toBeGreaterThan(at(/npm run ssm:put/));
    expect(at(/npm run smoke/)).toBeGreaterThan(at(/npm run deploy/));
    expect(at(/npm run rollback/)).toBeGreaterThan(at(/npm run smoke/));
    expect(text('deploy-stage.yml')).toMatch(/secrets\.DEPLOY_WEBHOOK_URL/);
  });

  it('never hard-codes credentials', () => {
    for (const f of files) {
      expect(text(f)).not.toMatch(/AKIA[0-9A-Z]{16}|aws-secret-access-key|sk_live_|sk-[A-Za-z0-9]{20}/);
    }
  });
});
