/**
 * `npm run dev`: the whole product on this machine — emulators, bootstrap, API, pipeline,
 * WebSocket, test doubles and the portal — on fixed ports, with data kept in .local/.
 * Ctrl-C stops every child. A second run while one is up stops with a clear message.
 *
 * The test harness runs the same script with --test: free ports, throw-away data, the settings
 * written as JSON to --env-out, and it exits when --parent-pid dies.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { DEFAULT_PORTS, ROOT, StackError, assertPortFree, freePorts, startStack, type StackPorts } from './lib/stack.ts';

const { values: args } = parseArgs({
  options: {
    test: { type: 'boolean', default: false },
    'env-out': { type: 'string' },
    'parent-pid': { type: 'string' },
    'media-dir': { type: 'string' },
    'no-portal': { type: 'boolean', default: false },
    /** With --test: start the portal too (npm run bench:dev measures the whole stack). */
    portal: { type: 'boolean', default: false },
    'emulators-only': { type: 'boolean', default: false },
  },
});

const log = (line: string) => process.stdout.write(`[clipforge] ${line}\n`);
const PORT_ENV: Record<keyof StackPorts, string> = {
  api: 'API_PORT', ws: 'WS_PORT', lambda: 'LAMBDA_PORT', fauxqs: 'FAUXQS_PORT', dynamodb: 'DYNAMODB_PORT',
  cognito: 'COGNITO_PORT', portal: 'PORTAL_PORT', stripe: 'STRIPE_PORT', openai: 'OPENAI_PORT', media: 'MEDIA_PORT',
};

// The test doubles and the sample-media server run in this process: an error in one of them is
// logged, never allowed to take down the stack (its children would stop with it).
function survive(kind: string, err: unknown): void {
  // Our own output pipe closed (the parent is gone): nothing to report to, so stop (the guards
  // then stop every child). Writing here again would only raise the same error forever.
  if ((err as NodeJS.ErrnoException)?.code === 'EPIPE') process.exit(0);
  process.stderr.write(`[clipforge] ${kind} (stack keeps running): ${(err as Error)?.stack ?? String(err)}\n`);
}
process.on('uncaughtException', (err) => survive('uncaught error', err));
process.on('unhandledRejection', (err) => survive('unhandled rejection', err));

async function main(): Promise<void> {
  const started = performance.now();
  // Until the stack is up, a signal just exits: every child's guard sees this process go and
  // stops its child (scripts/lib/guard.ts). Once up, shutdown() below stops them in order.
  const early = () => process.exit(130);
  process.on('SIGINT', early);
  process.on('SIGTERM', early);
  let ports: StackPorts;
  let dataDir: string;
  let lockFile: string | undefined;

  if (args.test) {
    ports = await freePorts();
    dataDir = mkdtempSync(join(tmpdir(), 'clipforge-stack-'));
  } else {
    dataDir = join(ROOT, '.local');
    mkdirSync(dataDir, { recursive: true });
    lockFile = join(dataDir, 'dev.pid');
    if (existsSync(lockFile)) {
      const pid = Number(readFileSync(lockFile, 'utf8'));
      if (pid && isAlive(pid)) throw new StackError(`Clipforge is already running (pid ${pid}). Stop it with Ctrl-C in its terminal, or \`kill ${pid}\`.`);
    }
    ports = { ...DEFAULT_PORTS };
    for (const [key, name] of Object.entries(PORT_ENV) as [keyof StackPorts, string][]) {
      if (process.env[name]) ports[key] = Number(process.env[name]);
    }
    for (const [key, name] of Object.entries(PORT_ENV) as [keyof StackPorts, string][]) await assertPortFree(ports[key], name.replace(/_PORT$/, '').toLowerCase());
    writeFileSync(lockFile, String(process.pid));
  }

  const stack = await startStack({
    ports,
    dataDir,
    persist: !args.test,
    portal: (!args.test || args.portal) && !args['no-portal'],
    emulatorsOnly: args['emulators-only'],
    mediaDir: args['media-dir'] ?? (args.test ? join(dataDir, 'media') : join(dataDir, 'media')),
    log,
  });

  process.off('SIGINT', early);
  process.off('SIGTERM', early);
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log('stopping…');
    // Never hang on the way out: if a child or a double does not stop in time, exit anyway (the
    // guards then stop every child).
    setTimeout(() => process.exit(code), 20_000).unref();
    await stack.stop();
    if (lockFile) rmSync(lockFile, { force: true });
    if (args.test) {
      // Keep the children's logs for the test report (artifacts/), then drop the throw-away data.
      if (process.env.CLIPFORGE_LOGS_OUT) cpSync(join(dataDir, 'logs'), process.env.CLIPFORGE_LOGS_OUT, { recursive: true, force: true });
      rmSync(dataDir, { recursive: true, force: true });
    }
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  process.on('SIGHUP', () => void shutdown(0));
  if (args['parent-pid']) {
    const parent = Number(args['parent-pid']);
    setInterval(() => {
      if (!isAlive(parent)) void shutdown(0);
    }, 1000).unref();
  }

  if (args['env-out']) writeFileSync(args['env-out'], JSON.stringify(stack.env, null, 2));
  const width = Math.max(...Object.keys(stack.urls).map((k) => k.length));
  log(`ready in ${((performance.now() - started) / 1000).toFixed(1)} s — ${stack.resources.summary}`);
  for (const [name, url] of Object.entries(stack.urls)) process.stdout.write(`  ${name.padEnd(width)}  ${url}\n`);
  if (!args.test) {
    process.stdout.write(`\n  Health: curl ${stack.env.API_URL}/health\n  Logs:   ${join(dataDir, 'logs')}/*.log\n  Stop:   Ctrl-C\n`);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

main().catch((err: unknown) => {
  const message = err instanceof StackError ? err.message : (err as Error)?.stack ?? String(err);
  process.stderr.write(`\n[clipforge] could not start: ${message}\n`);
  process.exit(1);
});
