import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');
export interface CfnTemplate {
  Resources: Record<string, { Type: string; Condition?: string; Properties: Record<string, unknown> }>;
  Outputs: Record<string, unknown>;
}

/**
 * Builds a stage's CloudFormation template offline (`serverless package`) and reads it. A build
 * newer than every declaration file (serverless.yml, resources/, functions/*.yml) is reused, so
 * several test files can check one template without packaging it again.
 */
export function packageTemplate(stage: string): CfnTemplate {
  const out = join(ROOT, '.serverless-test', stage);
  const file = join(out, 'cloudformation-template-update-stack.json');
  if (!existsSync(file) || statSync(file).mtimeMs < newestDeclaration()) {
    execFileSync(process.execPath, [join(ROOT, 'node_modules/serverless/bin/serverless.js'), 'package', '--stage', stage, '--package', out], {
      cwd: ROOT,
      env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1', ESBUILD_WORK_FOLDER: `.esbuild-package-${stage}` },
      stdio: 'pipe',
    });
  }
  return JSON.parse(readFileSync(file, 'utf8')) as CfnTemplate;
}

/** The newest modification time of anything that shapes the template or the bundles. */
function newestDeclaration(): number {
  const files = [join(ROOT, 'serverless.yml'), ...list('resources'), ...list('functions'), ...list('lib')];
  return Math.max(...files.map((f) => statSync(f).mtimeMs));
}

function list(dir: string): string[] {
  const abs = join(ROOT, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name));
}
