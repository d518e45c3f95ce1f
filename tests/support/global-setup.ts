/**
 * Starts ONE local stack for the integration and e2e projects (scripts/dev.ts --test: free ports,
 * throw-away data) and exports its settings through process.env, which the test workers inherit.
 * The stack child exits by itself if this process dies; global-teardown stops it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOT = resolve(import.meta.dirname, '..', '..');
interface Holder {
  proc?: ChildProcess;
  stopping?: boolean;
  dir?: string;
  users: number;
}
const g = globalThis as unknown as { __clipforgeStack?: Holder };

export default async function setup(): Promise<void> {
  const holder = (g.__clipforgeStack ??= { users: 0 });
  holder.users += 1;
  if (holder.proc) return;
  const dir = mkdtempSync(join(tmpdir(), 'clipforge-test-'));
  const envFile = join(dir, 'env.json');
  const proc = spawn(process.execPath, [join(ROOT, 'scripts/dev.ts'), '--test', '--env-out', envFile, '--parent-pid', String(process.pid), '--media-dir', join(dir, 'media')], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'test', CLIPFORGE_LOGS_OUT: join(ROOT, 'artifacts', 'stack-logs') },
  });
  let output = '';
  const logDir = join(ROOT, 'artifacts', 'stack-logs');
  mkdirSync(logDir, { recursive: true });
  const log = (d: Buffer) => {
    output += d.toString();
    appendFileSync(join(logDir, 'dev.log'), d);
  };
  proc.stdout?.on('data', log);
  proc.stderr?.on('data', log);
  proc.on('exit', (code, signal) => {
    if (!holder.stopping) process.stderr.write(`\n[harness] the local stack exited unexpectedly (code ${code}, signal ${signal}); see artifacts/stack-logs/\n`);
  });
  holder.proc = proc;
  holder.dir = dir;
  const deadline = Date.now() + 240_000;
  while (!existsSync(envFile)) {
    if (proc.exitCode !== null) throw new Error(`The local stack failed to start:\n${output}`);
    if (Date.now() > deadline) {
      proc.kill('SIGTERM');
      throw new Error(`The local stack did not start within 240 s:\n${output}`);
    }
    await sleep(200);
  }
  await sleep(50);
  const env = JSON.parse(readFileSync(envFile, 'utf8')) as Record<string, string>;
  Object.assign(process.env, env, { CLIPFORGE_TEST_DIR: dir });
  rmSync(envFile, { force: true });
}
