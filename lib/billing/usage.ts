import { QueryCommand } from 'dynamodb-toolbox/table/actions/query';
import { PutItemCommand } from 'dynamodb-toolbox/entity/actions/put';
import { z } from 'zod';
import { AppTable, ttlIn } from '../db/table.ts';
import { CreditLedgerEntity, ledgerIndexKey } from '../db/credit-ledger.ts';
import { UsageRecordEntity } from '../db/usage-record.ts';
import { BadRequestError } from '../http/errors.ts';
import type { LedgerEntryView, UsageResponse } from '../contracts/billing.ts';
import { ledgerKindSchema } from '../contracts/billing.ts';
import { getBalance } from './ledger.ts';
import { getAccount } from './account.ts';

/** Usage records are kept this long (TTL). */
export const USAGE_RETENTION_SECONDS = 90 * 24 * 3600;
const MAX_PERIOD_ENTRIES = 5000;

const cursorSchema = z.object({ pk: z.string(), sk: z.string(), gsi1pk: z.string(), gsi1sk: z.string() });
export function encodeCursor(key: Record<string, unknown> | undefined): string | null {
  return key ? Buffer.from(JSON.stringify(key)).toString('base64url') : null;
}
export function decodeCursor(cursor: string | undefined, userId: string): Record<string, string> | undefined {
  if (!cursor) return undefined;
  try {
    const key = cursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (key.gsi1pk !== ledgerIndexKey(userId)) throw new Error('cursor of another user');
    return key;
  } catch {
    throw new BadRequestError('Invalid cursor', undefined, 'INVALID_CURSOR');
  }
}

function toEntry(i: { kind: string; amount: number; ref: string; source?: string; at: string }): LedgerEntryView {
  return { kind: ledgerKindSchema.parse(i.kind), amount: i.amount, ref: i.ref, ...(i.source ? { source: i.source } : {}), at: i.at };
}

/** The billing period: the subscription's current period, else the calendar month (UTC). */
export function periodOf(now: Date, start: string | null, end: string | null): { start: string; end: string } {
  if (start && end && Date.parse(end) > now.getTime()) return { start, end };
  const s = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const e = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return { start: s.toISOString(), end: e.toISOString() };
}

/** Sums a period's ledger: grants, credits spent (reservations net of settle/refund returns), per day. */
export function summarize(entries: { kind: string; amount: number; at: string }[]) {
  let granted = 0;
  let spent = 0;
  const days = new Map<string, { granted: number; spent: number }>();
  for (const e of entries) {
    const d = days.get(e.at.slice(0, 10)) ?? { granted: 0, spent: 0 };
    if (e.kind === 'grant') {
      granted += e.amount;
      d.granted += e.amount;
    } else if (e.kind === 'reserve' || e.kind === 'settle' || e.kind === 'refund') {
      spent -= e.amount;
      d.spent -= e.amount;
    }
    days.set(e.at.slice(0, 10), d);
  }
  const daily = [...days.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([date, v]) => ({ date, ...v }));
  return { granted, spent, daily };
}

export async function getUsage(userId: string, q: { cursor?: string; limit: number }, now = new Date()): Promise<UsageResponse> {
  const account = await getAccount(userId);
  const period = periodOf(now, account.currentPeriodStart, account.currentPeriodEnd);
  const startKey = decodeCursor(q.cursor, userId);
  const [balance, periodItems, page] = await Promise.all([
    getBalance(userId),
    AppTable.build(QueryCommand)
      .entities(CreditLedgerEntity)
      .query({ index: 'gsi1', partition: ledgerIndexKey(userId), range: { between: [period.start, period.end] } })
      .options({ limit: MAX_PERIOD_ENTRIES, maxPages: 10 })
      .send(),
    AppTable.build(QueryCommand)
      .entities(CreditLedgerEntity)
      .query({ index: 'gsi1', partition: ledgerIndexKey(userId) })
      .options({ reverse: true, limit: q.limit, ...(startKey ? { exclusiveStartKey: startKey } : {}) })
      .send(),
  ]);
  const sums = summarize(periodItems.Items ?? []);
  return {
    balance: balance.balance,
    reserved: balance.reserved,
    period,
    ...sums,
    ledger: (page.Items ?? []).map(toEntry),
    nextCursor: encodeCursor(page.LastEvaluatedKey),
  };
}

export interface UsageRecordInput {
  userId: string;
  route: string;
  method: string;
  status: number;
  latencyMs: number;
  requestId: string;
  at?: Date;
}

export async function recordUsage(r: UsageRecordInput): Promise<void> {
  const at = (r.at ?? new Date()).toISOString();
  await UsageRecordEntity.build(PutItemCommand)
    .item({
      userId: r.userId,
      id: `${at}#${r.requestId}`,
      route: r.route.slice(0, 200),
      method: r.method.slice(0, 10),
      status: r.status,
      latencyMs: Math.round(r.latencyMs),
      at,
      gsi1pk: `USAGEDAY#${at.slice(0, 10)}`,
      gsi1sk: `${at}#${r.userId}`,
      expiresAt: ttlIn(USAGE_RETENTION_SECONDS),
    })
    .send();
}

const DAY_MS = 24 * 3600 * 1000;
export const MAX_REPORT_DAYS = 31;

/** Metered calls across users, per user and route, for the days from..to (UTC, inclusive). */
export async function usageReport(q: { from?: string; to?: string; userId?: string }, now = new Date()) {
  const to = q.to ?? now.toISOString().slice(0, 10);
  const from = q.from ?? new Date(Date.parse(to) - 6 * DAY_MS).toISOString().slice(0, 10);
  const days = Math.round((Date.parse(to) - Date.parse(from)) / DAY_MS) + 1;
  if (!(days >= 1)) throw new BadRequestError('`from` must not be after `to`');
  if (days > MAX_REPORT_DAYS) throw new BadRequestError(`At most ${MAX_REPORT_DAYS} days per report`);
  const users = new Map<string, { requests: number; errors: number; latency: number; routes: Record<string, number> }>();
  for (let i = 0; i < days; i++) {
    const day = new Date(Date.parse(from) + i * DAY_MS).toISOString().slice(0, 10);
    const pages = AppTable.build(QueryCommand)
      .entities(UsageRecordEntity)
      .query({ index: 'gsi1', partition: `USAGEDAY#${day}` })
      .options({ ...(q.userId ? { filters: { UsageRecord: { attr: 'userId', eq: q.userId } } } : {}) })
      .paginate();
    for await (const page of pages) {
      for (const r of page.Items ?? []) {
        const u = users.get(r.userId) ?? { requests: 0, errors: 0, latency: 0, routes: {} };
        u.requests += 1;
        if (r.status >= 400) u.errors += 1;
        u.latency += r.latencyMs;
        const key = `${r.method} ${r.route}`;
        u.routes[key] = (u.routes[key] ?? 0) + 1;
        users.set(r.userId, u);
      }
    }
  }
  const rows = [...users.entries()]
    .map(([userId, u]) => ({ userId, requests: u.requests, errors: u.errors, avgLatencyMs: Math.round(u.latency / u.requests), routes: u.routes }))
    .sort((a, b) => b.requests - a.requests);
  return {
    from,
    to,
    totals: { requests: rows.reduce((s, r) => s + r.requests, 0), errors: rows.reduce((s, r) => s + r.errors, 0), users: rows.length },
    users: rows,
  };
}
