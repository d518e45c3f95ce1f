import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { isMainThread } from 'node:worker_threads';

/**
 * Starting ffmpeg/ffprobe. On Lambda a handler runs on its process's main thread and spawns its
 * children directly. serverless-offline instead runs every function in a worker thread of one big
 * process (≈ 2 GB once the pipeline is warm), and fork() copies that process's page tables: on
 * this machine type a spawn costs ≈ 50 ms per GB of the parent's resident memory, ≈ 90 ms per
 * ffmpeg run where Lambda pays ≈ 1 ms. So in a worker thread, children are started by a small
 * helper process (one per worker, started on first use, ≈ 40 MB): the same binary, arguments,
 * working directory and output, relayed over IPC.
 */

/** What run() needs from a started process: a ChildProcess, or the helper's stand-in for one. */
export interface Started extends EventEmitter {
  readonly stdout: EventEmitter;
  readonly stderr: EventEmitter;
  kill(signal?: NodeJS.Signals): void;
}

export type Launch = (bin: string, args: string[], cwd?: string) => Started;

export const launchDirect: Launch = (bin, args, cwd) => spawn(bin, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] }) as ChildProcess & Started;

/** The helper (CommonJS, run with `node -e`, so it needs no file of its own next to a bundle). */
const HELPER_SOURCE = `
const { spawn } = require('node:child_process');
const children = new Map();
const send = (m) => { if (process.connected) process.send(m); };
process.on('disconnect', () => { for (const c of children.values()) c.kill('SIGKILL'); process.exit(0); });
process.on('message', (m) => {
  if (m.type === 'kill') { const c = children.get(m.id); if (c) c.kill(m.signal); return; }
  let child;
  try {
    child = spawn(m.bin, m.args, { cwd: m.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    send({ type: 'error', id: m.id, message: e.message, code: e.code });
    return;
  }
  children.set(m.id, child);
  child.stdout.on('data', (data) => send({ type: 'stdout', id: m.id, data }));
  child.stderr.on('data', (data) => send({ type: 'stderr', id: m.id, data }));
  child.on('error', (e) => send({ type: 'error', id: m.id, message: e.message, code: e.code }));
  child.on('close', (code, signal) => { children.delete(m.id); send({ type: 'close', id: m.id, code, signal }); });
});
`;

type HelperMessage =
  | { type: 'stdout' | 'stderr'; id: number; data: Uint8Array }
  | { type: 'error'; id: number; message: string; code?: string }
  | { type: 'close'; id: number; code: number | null; signal: NodeJS.Signals | null };

class Relayed extends EventEmitter implements Started {
  readonly stdout = new EventEmitter();
  readonly stderr = new EventEmitter();
  private readonly onKill: (signal: NodeJS.Signals) => void;
  constructor(onKill: (signal: NodeJS.Signals) => void) {
    super();
    this.onKill = onKill;
  }
  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    this.onKill(signal);
  }
}

let helper: ChildProcess | undefined;
const running = new Map<number, Relayed>();
let nextId = 1;

function startHelper(): ChildProcess {
  const proc = spawn(process.execPath, ['-e', HELPER_SOURCE], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
  proc.on('message', (m: HelperMessage) => {
    const target = running.get(m.id);
    if (!target) return;
    if (m.type === 'stdout' || m.type === 'stderr') {
      target[m.type].emit('data', Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength));
    } else if (m.type === 'error') {
      running.delete(m.id);
      target.emit('error', Object.assign(new Error(m.message), m.code ? { code: m.code } : {}));
    } else if (m.type === 'close') {
      running.delete(m.id);
      target.emit('close', m.code, m.signal);
    }
    idle();
  });
  const lost = (why: string) => {
    if (helper === proc) helper = undefined;
    // Whatever state it is in, it is not used again (a later run starts a new one).
    proc.kill('SIGKILL');
    proc.unref();
    proc.channel?.unref();
    for (const [id, target] of running) {
      running.delete(id);
      target.emit('error', new Error(`the process launcher ${why}`));
    }
  };
  proc.on('exit', (code, signal) => lost(`exited (${signal ?? code})`));
  proc.on('error', (err) => lost(`failed: ${err.message}`));
  return proc;
}

/** The helper must not keep an otherwise finished process (or worker) alive. */
function idle(): void {
  if (running.size > 0 || !helper) return;
  helper.unref();
  helper.channel?.unref();
}

export const launchViaHelper: Launch = (bin, args, cwd) => {
  helper ??= startHelper();
  const proc = helper;
  proc.ref();
  proc.channel?.ref();
  const id = nextId++;
  const relayed = new Relayed((signal) => {
    if (running.has(id)) proc.send({ type: 'kill', id, signal });
  });
  running.set(id, relayed);
  proc.send({ type: 'run', id, bin, args, cwd });
  return relayed;
};

/** Direct on a main thread (Lambda, scripts, tests); through the helper in a worker thread. */
export const launch: Launch = (bin, args, cwd) => (isMainThread ? launchDirect : launchViaHelper)(bin, args, cwd);
