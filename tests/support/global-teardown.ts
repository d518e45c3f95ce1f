import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const g = globalThis as unknown as { __clipforgeStack?: { proc?: import('node:child_process').ChildProcess; dir?: string; users: number; stopping?: boolean } };

/** Stops the stack once the last project that uses it is done. */
export default async function teardown(): Promise<void> {
  const holder = g.__clipforgeStack;
  if (!holder) return;
  holder.users -= 1;
  if (holder.users > 0 || !holder.proc) return;
  const proc = holder.proc;
  holder.proc = undefined;
  holder.stopping = true;
  if (proc.exitCode === null) {
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await Promise.race([exited, sleep(20_000)]);
    if (proc.exitCode === null) proc.kill('SIGKILL');
  }
  if (holder.dir) rmSync(holder.dir, { recursive: true, force: true });
}
