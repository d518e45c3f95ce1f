import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { JOB_EVENT_TYPES } from '../../../lib/contracts/job-events.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
type Fn = { handler: string; timeout?: unknown; events: Record<string, Record<string, unknown>>[] };
const ws = parse(readFileSync(resolve(ROOT, 'functions/ws.yml'), 'utf8'), { customTags: [] }) as Record<string, Fn>;

describe('functions/ws.yml', () => {
  it('maps every WebSocket route to an existing handler; ping/subscribe/$default reply on the socket', () => {
    const routes: Record<string, { fn: string; reply: unknown }> = {};
    for (const [name, fn] of Object.entries(ws)) {
      expect(existsSync(resolve(ROOT, fn.handler.replace(/\.handler$/, '.ts')))).toBe(true);
      for (const e of fn.events) if (e.websocket) routes[String(e.websocket.route)] = { fn: name, reply: e.websocket.routeResponseSelectionExpression };
    }
    expect(Object.keys(routes).sort()).toEqual(['$connect', '$default', '$disconnect', 'ping', 'subscribe']);
    for (const r of ['$default', 'ping', 'subscribe']) expect(routes[r]).toEqual({ fn: 'wsDefault', reply: '$default' });
  });

  it('the notifier consumes NotifierQueue with partial batch failures and the shared batch size / timeout', () => {
    const n = ws.notifier;
    expect(n?.timeout).toBe('${self:custom.consumers.notifier}');
    expect(n?.events).toEqual([
      {
        sqs: {
          arn: { 'Fn::GetAtt': ['NotifierQueue', 'Arn'] },
          batchSize: '${param:sqsBatchSize}',
          functionResponseType: 'ReportBatchItemFailures',
        },
      },
    ]);
  });

  it("the notifier queue's filter policy covers every event type the notifier turns into a message", () => {
    const types = (createRequire(import.meta.url)(resolve(ROOT, 'resources/pipeline.cjs')) as { NOTIFIER_TYPES: string[] }).NOTIFIER_TYPES;
    for (const t of ['job.requested', 'job.progress', 'job.cancelled', 'stage.completed', 'job.finished']) expect(types).toContain(t);
    for (const t of types) expect(JOB_EVENT_TYPES).toContain(t);
  });
});
