/**
 * Memory benchmark of the pipeline stages (not a timed test):
 *
 *   npm run bench:memory [-- --seconds 3600 --fps 10 --clips 5 --aspect 9:16 --video path.mp4]
 *
 * Issue target: the peak RSS of each stage stays ≤ 512 MB on a 1-hour source (nothing buffers the
 * whole video). A throw-away stack with emulators only (DynamoDB Local, fauxqs SNS/SQS/S3,
 * cognito-local, the OpenAI double, the sample-media server; no serverless-offline) is started; a
 * job is created through lib/jobs; then this script is the Lambda service: it receives each
 * queue's messages and runs the real handler (functions/stages/*.ts) in its own Node process per
 * invocation — so every stage is measured alone — and deletes the message when the handler
 * reports no batch failure. For each invocation it records the handler process's exact peak RSS
 * (getrusage) and the peak of the whole process tree (handler + ffmpeg/ffprobe children, sampled
 * every 50 ms from /proc).
 *
 * The generated source is cached in the OS temp folder (a 1-hour video takes minutes to make).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ListQueuesCommand, ReceiveMessageCommand, DeleteMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { ROOT } from './lib/stack.ts';
import { startLocalStack } from './demo.ts';
import { STAGES } from '../lib/contracts/job-events.ts';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '3600' },
    fps: { type: 'string', default: '10' },
    clips: { type: 'string', default: '5' },
    aspect: { type: 'string', default: '9:16' },
    video: { type: 'string' },
  },
});

const ORDER = ['coordinator', ...STAGES] as const;
type Consumer = (typeof ORDER)[number];
const MB = 1024 * 1024;

interface Invocation {
  consumer: Consumer;
  ms: number;
  nodePeak: number;
  treePeak: number;
  failed: boolean;
}

/** RSS in bytes of a process and all its descendants (from /proc; 0 for a process that is gone). */
function treeRss(pid: number): number {
  let total = 0;
  try {
    total += Number(fs.readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * 4096;
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      const children = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      for (const c of children ? children.split(' ') : []) total += treeRss(Number(c));
    }
  } catch {
    // exited between two reads
  }
  return total;
}

async function invoke(consumer: Consumer, event: unknown, work: string): Promise<Omit<Invocation, 'consumer'> & { output: string }> {
  const eventFile = path.join(work, `event-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(eventFile, JSON.stringify(event));
  // Every stage runs from the one stage entry point, told its stage as on AWS (PIPELINE_STAGE).
  const file = path.join(ROOT, 'functions/stages', consumer === 'coordinator' ? 'coordinator.ts' : 'stage.ts');
  const proc = spawn(process.execPath, [path.join(ROOT, 'scripts/lib/invoke-handler.ts'), file, 'handler', eventFile], {
    cwd: ROOT,
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'WARN', ...(consumer === 'coordinator' ? {} : { PIPELINE_STAGE: consumer }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  let treePeak = 0;
  const sampler = setInterval(() => {
    if (proc.pid) treePeak = Math.max(treePeak, treeRss(proc.pid));
  }, 50);
  const code = await new Promise<number | null>((r) => proc.once('exit', r));
  clearInterval(sampler);
  fs.rmSync(eventFile, { force: true });
  const line = out.split('\n').find((l) => l.startsWith('@@result '));
  if (code !== 0 || !line) return { ms: 0, nodePeak: 0, treePeak, failed: true, output: out };
  const r = JSON.parse(line.slice(9)) as { result?: { batchItemFailures?: unknown[] }; ms: number; maxRssBytes: number };
  const failed = Boolean(r.result?.batchItemFailures?.length);
  return { ms: r.ms, nodePeak: r.maxRssBytes, treePeak: Math.max(treePeak, r.maxRssBytes), failed, output: out };
}

function sqsEvent(m: Message, queueName: string) {
  const region = process.env.AWS_REGION ?? 'us-east-1';
  return {
    Records: [
      {
        messageId: m.MessageId,
        receiptHandle: m.ReceiptHandle,
        body: m.Body,
        attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()), SenderId: 'bench', ApproximateFirstReceiveTimestamp: String(Date.now()), ...m.Attributes },
        messageAttributes: {},
        md5OfBody: m.MD5OfBody,
        eventSource: 'aws:sqs',
        eventSourceARN: `arn:aws:sqs:${region}:000000000000:${queueName}`,
        awsRegion: region,
      },
    ],
  };
}

async function sourceVideo(): Promise<string> {
  if (args.video) return path.resolve(args.video);
  const seconds = Number(args.seconds);
  const fps = Number(args.fps);
  const cached = path.join(os.tmpdir(), `clipforge-bench-${seconds}s-1280x720-${fps}fps.mp4`);
  if (fs.existsSync(cached)) return cached;
  const { makeSampleVideo } = await import('./make-sample-video.ts');
  console.log(`generating a ${seconds} s 720p ${fps} fps speech video (cached as ${cached})…`);
  const t = performance.now();
  await makeSampleVideo({ outPath: `${cached}.part.mp4`, seconds, width: 1280, height: 720, fps, preset: 'ultrafast' });
  fs.renameSync(`${cached}.part.mp4`, cached);
  console.log(`generated in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  return cached;
}

async function main(): Promise<void> {
  const source = await sourceVideo();
  const stack = await startLocalStack(console.log, { emulatorsOnly: true });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'clipforge-bench-memory-'));
  try {
    const { sqs } = await import('../lib/aws/clients.ts');
    const { productionDeps } = await import('../lib/jobs/adapters.ts');
    const { createJob } = await import('../lib/jobs/api.ts');
    const { setEnterpriseLimits } = await import('../lib/billing/account.ts');
    const { probe } = await import('../lib/media/ffmpeg.ts');

    const name = 'bench-memory-source.mp4';
    const served = path.join(stack.mediaDir, name);
    try {
      fs.linkSync(source, served);
    } catch {
      fs.copyFileSync(source, served);
    }
    const info = await probe(source);
    const bytes = fs.statSync(source).size;

    const userId = `bench-memory-${Date.now()}`;
    await setEnterpriseLimits(userId, { watermark: false, maxSourceSeconds: 4 * 3600, maxClipsPerJob: 20 });
    const deps = productionDeps();
    const options = { clipCount: Number(args.clips), minSeconds: 15, maxSeconds: 45, aspect: args.aspect as '9:16', captions: true };
    const created = await createJob(userId, { url: `${stack.env.MEDIA_SERVER_URL}/${name}`, options }, undefined, deps);
    console.log(`job ${created.jobId}: ${info.durationSeconds.toFixed(0)} s ${info.width}x${info.height}, ${(bytes / MB).toFixed(0)} MB, ${options.clipCount} clips ${options.aspect} with captions`);

    const listed = await sqs().send(new ListQueuesCommand({ QueueNamePrefix: '' }));
    const urls = new Map<Consumer, string>();
    for (const consumer of ORDER) {
      const url = listed.QueueUrls?.find((u) => u.endsWith(`-local-${consumer}`));
      if (!url) throw new Error(`no queue for ${consumer} in ${JSON.stringify(listed.QueueUrls)}`);
      urls.set(consumer, url);
    }

    const invocations: Invocation[] = [];
    const deadline = Date.now() + 60 * 60 * 1000;
    let failures = 0;
    for (;;) {
      const job = await deps.store.get(userId, created.jobId);
      if (job && ['succeeded', 'failed', 'cancelled'].includes(job.status)) {
        console.log(`job ${job.status}${job.error ? `: ${JSON.stringify(job.error)}` : ''}`);
        break;
      }
      if (Date.now() > deadline) throw new Error('the job did not finish within an hour');
      let handled = 0;
      for (const consumer of ORDER) {
        const url = urls.get(consumer)!;
        const { Messages = [] } = await sqs().send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 1, WaitTimeSeconds: 0, AttributeNames: ['All'] }));
        for (const m of Messages) {
          handled++;
          const r = await invoke(consumer, sqsEvent(m, url.split('/').pop()!), work);
          invocations.push({ consumer, ms: r.ms, nodePeak: r.nodePeak, treePeak: r.treePeak, failed: r.failed });
          if (r.failed) {
            failures++;
            console.log(`${consumer} failed:\n${r.output.slice(-3000)}`);
            if (failures > 3) throw new Error('too many failed invocations');
          } else {
            await sqs().send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
            if (consumer !== 'coordinator') console.log(`  ${consumer.padEnd(10)} ${(r.ms / 1000).toFixed(1).padStart(7)} s   node ${(r.nodePeak / MB).toFixed(0).padStart(4)} MB   with ffmpeg ${(r.treePeak / MB).toFixed(0).padStart(4)} MB`);
          }
        }
      }
      if (!handled) await new Promise((r) => setTimeout(r, 200));
    }

    console.log(`\npeak RSS per stage on a ${(info.durationSeconds / 60).toFixed(0)}-minute ${info.width}x${info.height} source (${(bytes / MB).toFixed(0)} MB); target ≤ 512 MB`);
    console.log('stage         runs   wall s (max)   node MB (max)   node+ffmpeg MB (max)');
    let worst = 0;
    for (const consumer of ORDER) {
      const runs = invocations.filter((i) => i.consumer === consumer && !i.failed);
      if (!runs.length) continue;
      const max = (f: (i: Invocation) => number) => Math.max(...runs.map(f));
      worst = Math.max(worst, max((i) => i.treePeak));
      console.log(
        `${consumer.padEnd(13)} ${String(runs.length).padStart(4)}   ${(max((i) => i.ms) / 1000).toFixed(1).padStart(12)}   ${(max((i) => i.nodePeak) / MB).toFixed(0).padStart(13)}   ${(max((i) => i.treePeak) / MB).toFixed(0).padStart(20)}`,
      );
    }
    console.log(`worst stage: ${(worst / MB).toFixed(0)} MB — ${worst <= 512 * MB ? 'within' : 'OVER'} the 512 MB target`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
