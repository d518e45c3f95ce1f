/**
 * Runs one Lambda handler once, in this process, on an event read from a JSON file:
 *
 *   node scripts/lib/invoke-handler.ts <module.ts> <export> <event.json>
 *
 * Prints one JSON line: the handler's result, wall time and this process's peak RSS (exact, from
 * getrusage). bench:memory runs every stage this way so each is measured alone.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';

const [file, exportName, eventFile] = process.argv.slice(2);
if (!file || !exportName || !eventFile) {
  console.error('usage: node scripts/lib/invoke-handler.ts <module.ts> <export> <event.json>');
  process.exit(2);
}
const mod = (await import(pathToFileURL(path.resolve(file)).href)) as Record<string, unknown>;
const handler = mod[exportName] as (event: unknown, context: Context) => Promise<unknown>;
if (typeof handler !== 'function') throw new Error(`${file} has no export ${exportName}`);
const timeoutMs = 15 * 60 * 1000;
const started = performance.now();
const context = {
  functionName: `bench-${path.basename(file, '.ts')}`,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:bench-${path.basename(file, '.ts')}`,
  memoryLimitInMB: '1024',
  awsRequestId: crypto.randomUUID(),
  logGroupName: 'bench',
  logStreamName: 'bench',
  callbackWaitsForEmptyEventLoop: false,
  getRemainingTimeInMillis: () => Math.max(0, timeoutMs - (performance.now() - started)),
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} as Context;
const event: unknown = JSON.parse(fs.readFileSync(eventFile, 'utf8'));
const result = await handler(event, context);
process.stdout.write(`\n@@result ${JSON.stringify({ result, ms: performance.now() - started, maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
process.exit(0);
