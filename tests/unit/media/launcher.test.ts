/**
 * lib/media/launcher.ts: in a worker thread (serverless-offline) ffmpeg/ffprobe are started by a
 * small helper process. run() through the helper must behave exactly like a direct spawn: exit
 * code, stdout bytes, stderr lines, cwd, spawn errors, the timeout kill, runs side by side.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { run } from '../../../lib/media/ffmpeg.ts';
import { launchDirect, launchViaHelper, type Launch } from '../../../lib/media/launcher.ts';

/** Running (a zombie waiting to be reaped does not count; Linux /proc). */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe.each([
  ['direct', launchDirect],
  ['via the helper', launchViaHelper],
] as [string, Launch][])('run() %s', (_name, launch) => {
  it('returns the exit code, the stdout bytes and the stderr text', async () => {
    const r = await run('/bin/sh', ['-c', 'printf "a\\0b"; echo oops >&2; exit 3'], { launch });
    expect(r.code).toBe(3);
    expect([...r.stdout]).toEqual([0x61, 0, 0x62]);
    expect(r.stderr).toBe('oops\n');
  });

  it('streams stderr lines, drops stdout when asked, and runs in the given directory', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'launcher-'));
    const lines: string[] = [];
    const r = await run('/bin/sh', ['-c', 'pwd >&2; echo big; printf "one\\ntwo" >&2'], {
      launch,
      cwd: dir,
      captureStdout: false,
      onStderrLine: (l) => lines.push(l),
    });
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBe(0);
    expect(lines).toEqual([fs.realpathSync(dir), 'one', 'two']);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('rejects with the spawn error of a missing binary', async () => {
    await expect(run('/nonexistent/ffmpeg', ['-version'], { launch })).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('kills the process at the timeout', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'launcher-'));
    const pidFile = path.join(dir, 'pid');
    const started = Date.now();
    await expect(run('/bin/sh', ['-c', `echo $$ > ${pidFile}; exec sleep 30`], { launch, timeoutMs: 400 })).rejects.toThrow(/timed out after 400 ms/);
    expect(Date.now() - started).toBeLessThan(5000);
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(pid)).toBe(false);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the outputs of runs side by side apart', async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => run('/bin/sh', ['-c', `sleep 0.0${i}; echo ${i}; echo e${i} >&2; exit ${i}`], { launch })),
    );
    results.forEach((r, i) => {
      expect(r.code).toBe(i);
      expect(r.stdout.toString()).toBe(`${i}\n`);
      expect(r.stderr).toBe(`e${i}\n`);
    });
  });
});

describe('launch', () => {
  it('uses the helper in a worker thread, and the worker still exits when its work is done', async () => {
    const launcherUrl = new URL('../../../lib/media/launcher.ts', import.meta.url).href;
    // The worker reports the parent pid of a child it starts: a helper's pid, not this process.
    const worker = new Worker(
      `const { parentPort } = require('node:worker_threads');
       import(${JSON.stringify(launcherUrl)}).then(({ launch }) => {
         const child = launch('/bin/sh', ['-c', 'echo $PPID']);
         let out = '';
         child.stdout.on('data', (b) => { out += b; });
         child.on('close', (code) => parentPort.postMessage({ code, ppid: Number(out) }));
       });`,
      { eval: true },
    );
    // Both listeners are attached before anything is awaited: when the worker ends quickly, Node
    // delivers its last message and then emits 'exit' in the same tick, before an await resumes
    // (an 'exit' listener attached after the message would never fire — the old 30 s timeout).
    const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
    const message = await new Promise<{ code: number; ppid: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    expect(message.code).toBe(0);
    expect(message.ppid).not.toBe(process.pid);
    expect(message.ppid).toBeGreaterThan(0);
    expect(await exited).toBe(0);
    // The helper leaves with its worker.
    for (let i = 0; i < 100 && alive(message.ppid); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(message.ppid)).toBe(false);
  });

  it('spawns directly on the main thread (Lambda)', async () => {
    const r = await run('/bin/sh', ['-c', 'echo $PPID']);
    expect(Number(r.stdout.toString())).toBe(process.pid);
  });
});
