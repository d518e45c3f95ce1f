import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetItemCommand } from 'dynamodb-toolbox/entity/actions/get';
import { PutTransaction } from 'dynamodb-toolbox/entity/actions/transactPut';
import { UpdateTransaction } from 'dynamodb-toolbox/entity/actions/transactUpdate';
import { execute, type ExecuteTransactWriteInput } from 'dynamodb-toolbox/entity/actions/transactWrite';
import { $add, $get, $subtract } from 'dynamodb-toolbox/entity/actions/update';
import type { Condition } from 'dynamodb-toolbox/entity/actions/parseCondition';
import { CreditBalanceEntity } from '../db/credit-balance.ts';
import { CreditHoldEntity } from '../db/credit-hold.ts';
import { CreditLedgerEntity, ledgerIndexKey } from '../db/credit-ledger.ts';
import { ConflictError, PaymentRequiredError } from '../http/errors.ts';

/**
 * The credit ledger. Every change is ONE DynamoDB transaction that writes an append-only ledger
 * entry with a deterministic key (so it happens once) and moves the balance item with conditions.
 * Hot paths (reserve, settle, refund, add-grants) are pure conditional arithmetic. Period renewals
 * need the current balance to compute what expires: they read it and write conditioned on its
 * `version` (optimistic), retrying on a concurrent change.
 *
 * Invariant: granted = balance + reserved + spent + expired.
 */
export interface LedgerDeps {
  /** Overrides the table's client (tests inject failures here). */
  documentClient?: DynamoDBDocumentClient;
  now?: () => Date;
}

/** One item of a write transaction (a toolbox Put/Update/ConditionCheck transaction). */
export type Tx = Extract<ExecuteTransactWriteInput[number], { params: unknown }>;
export type LedgerKind = 'grant' | 'reserve' | 'settle' | 'refund' | 'expire' | 'adjust';

export interface BalanceState {
  balance: number;
  reserved: number;
  spent: number;
  granted: number;
  expired: number;
  packCredits: number;
  version: number;
}
const EMPTY: BalanceState = { balance: 0, reserved: 0, spent: 0, granted: 0, expired: 0, packCredits: 0, version: 0 };

const nowOf = (deps: LedgerDeps) => (deps.now ? deps.now() : new Date());

/** DynamoDB cancellation reasons, by position in the transaction. */
export function cancellationCodes(err: unknown): string[] | undefined {
  if (!err || typeof err !== 'object' || (err as { name?: string }).name !== 'TransactionCanceledException') return undefined;
  const reasons = (err as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.map((r) => r.Code ?? 'None');
}
export const isConflict = (codes: string[] | undefined) => !!codes?.some((c) => c === 'TransactionConflict');

export async function transact(deps: LedgerDeps, items: Tx[]): Promise<void> {
  if (items.length === 0) return;
  if (deps.documentClient) await execute({ documentClient: deps.documentClient }, ...items);
  else await execute(...items);
}

/**
 * Runs a transaction built by `build`, rebuilding it and retrying (with jitter) when DynamoDB
 * reports a transaction conflict or when `retryOn` says a condition failure is a lost race.
 */
export async function withRetries<T>(fn: (attempt: number) => Promise<T>, attempts = 12): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      const retryable = err instanceof RetryableRaceError || isConflict(cancellationCodes(err));
      if (!retryable || attempt >= attempts) throw err instanceof RetryableRaceError ? err.cause ?? err : err;
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(200, 5 * 2 ** attempt)));
    }
  }
}
export class RetryableRaceError extends Error {
  override name = 'RetryableRaceError';
}

export function ledgerEntry(userId: string, kind: LedgerKind, ref: string, amount: number, source: string, at: Date): Tx {
  const iso = at.toISOString();
  return CreditLedgerEntity.build(PutTransaction)
    .item({ userId, kind, ref, amount, source, at: iso, gsi1pk: ledgerIndexKey(userId), gsi1sk: `${iso}#${kind}#${ref}` })
    .options({ condition: { attr: 'ref', exists: false } });
}

/** Strongly consistent read of the balance item (reads always use the table's client). */
export async function readBalance(userId: string): Promise<BalanceState> {
  const cmd = CreditBalanceEntity.build(GetItemCommand).key({ userId }).options({ consistent: true });
  const { Item } = await cmd.send();
  if (!Item) return { ...EMPTY };
  return {
    balance: Item.balance,
    reserved: Item.reserved,
    spent: Item.spent,
    granted: Item.granted,
    expired: Item.expired,
    packCredits: Item.packCredits,
    version: Item.version,
  };
}

export async function getBalance(userId: string): Promise<{ balance: number; reserved: number }> {
  const b = await readBalance(userId);
  return { balance: b.balance, reserved: b.reserved };
}

// ---------------------------------------------------------------------------------------------
// Grants

export type GrantSource = 'subscription' | 'free' | 'pack' | 'admin';
export interface GrantPlan {
  items: Tx[];
  granted: number;
  expired: number;
}

/**
 * Adds credits on top of the balance (packs, upgrade top-ups, admin). Pure arithmetic: no read.
 * Pack credits are also counted in `packCredits`, the part of the balance that never expires.
 */
export function planAddGrant(userId: string, ref: string, credits: number, source: GrantSource, at: Date): GrantPlan {
  assertCredits(credits, true);
  const pack = source === 'pack' ? credits : 0;
  return {
    granted: credits,
    expired: 0,
    items: [
      ledgerEntry(userId, 'grant', ref, credits, source, at),
      CreditBalanceEntity.build(UpdateTransaction).item({
        userId,
        balance: $add(credits),
        granted: $add(credits),
        packCredits: $add(pack),
        version: $add(1),
        reserved: $add(0),
        spent: $add(0),
        expired: $add(0),
      }),
    ],
  };
}

/**
 * A new period's subscription (or free) credits REPLACE what is left of the previous period's;
 * pack credits stay. Subscription credits are spent (and reserved) first, so of the credits still
 * held (balance + reserved) the pack part is min(packCredits, balance + reserved); the subscription
 * part not held by reservations expires. Conditioned on the balance version read in `state`.
 */
export function planReplaceGrant(userId: string, ref: string, credits: number, source: GrantSource, at: Date, state: BalanceState): GrantPlan {
  assertCredits(credits, true);
  const held = state.balance + state.reserved;
  const packRemaining = Math.max(0, Math.min(state.packCredits, held));
  // Reservations hold subscription credits first (they are spent first); the rest of the
  // subscription part is available and expires.
  const subscriptionHeld = held - packRemaining;
  const expire = Math.max(0, Math.min(subscriptionHeld - Math.min(state.reserved, subscriptionHeld), state.balance));
  const items: Tx[] = [ledgerEntry(userId, 'grant', ref, credits, source, at)];
  if (expire > 0) items.push(ledgerEntry(userId, 'expire', ref, -expire, 'renewal', at));
  items.push(
    CreditBalanceEntity.build(UpdateTransaction)
      .item({
        userId,
        balance: state.balance - expire + credits,
        granted: $add(credits),
        expired: $add(expire),
        packCredits: packRemaining,
        version: state.version + 1,
        reserved: $add(0),
        spent: $add(0),
      })
      .options({ condition: versionIs(state.version) }),
  );
  return { items, granted: credits, expired: expire };
}

/** Removes credits from the balance (pack refunds, admin debits); only what is still available. */
export function planRevoke(userId: string, ref: string, credits: number, fromPack: boolean, at: Date, state: BalanceState): { items: Tx[]; revoked: number } {
  const revoked = Math.max(0, Math.min(credits, state.balance, fromPack ? state.packCredits : state.balance));
  const items: Tx[] = [ledgerEntry(userId, fromPack ? 'expire' : 'adjust', ref, -revoked, fromPack ? 'revoke' : 'admin', at)];
  items.push(
    CreditBalanceEntity.build(UpdateTransaction)
      .item({
        userId,
        balance: state.balance - revoked,
        expired: $add(revoked),
        packCredits: fromPack ? state.packCredits - revoked : Math.min(state.packCredits, state.balance - revoked),
        version: state.version + 1,
        reserved: $add(0),
        spent: $add(0),
        granted: $add(0),
      })
      .options({ condition: versionIs(state.version) }),
  );
  return { items, revoked };
}

function versionIs(version: number): Condition<typeof CreditBalanceEntity> {
  return version === 0
    ? { or: [{ attr: 'version', exists: false }, { attr: 'version', eq: 0 }] }
    : { attr: 'version', eq: version };
}

/** Index of the balance update in a plan (the last item). */
export const balanceIndex = (items: Tx[]) => items.length - 1;

export interface GrantResult {
  granted: number;
  expired: number;
  duplicate: boolean;
}

/**
 * Grants credits once per `ref` (invoice id, checkout id, allowance month). `replace` renews the
 * period's subscription credits; otherwise they are added. `extra` items join the same transaction.
 */
export async function grantCredits(
  input: { userId: string; ref: string; credits: number; source: GrantSource; replace?: boolean; extra?: Tx[] },
  deps: LedgerDeps = {},
): Promise<GrantResult> {
  const at = nowOf(deps);
  return withRetries(async () => {
    const plan = input.replace
      ? planReplaceGrant(input.userId, input.ref, input.credits, input.source, at, await readBalance(input.userId))
      : planAddGrant(input.userId, input.ref, input.credits, input.source, at);
    const items = [...plan.items, ...(input.extra ?? [])];
    try {
      await transact(deps, items);
      return { granted: plan.granted, expired: plan.expired, duplicate: false };
    } catch (err) {
      const codes = cancellationCodes(err);
      if (codes?.[0] === 'ConditionalCheckFailed') return { granted: 0, expired: 0, duplicate: true };
      if (codes && codes[balanceIndex(plan.items)] === 'ConditionalCheckFailed') throw new RetryableRaceError('balance changed', { cause: err });
      throw err;
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Reservations

function assertCredits(credits: number, allowZero = false): void {
  if (!Number.isSafeInteger(credits) || credits < (allowZero ? 0 : 1)) throw new RangeError(`Invalid credit amount: ${credits}`);
}
function assertId(name: string, v: string): void {
  if (typeof v !== 'string' || v.length < 1 || v.length > 128 || /[#\s]/.test(v)) throw new RangeError(`Invalid ${name}: ${JSON.stringify(v)}`);
}

async function readHold(userId: string, jobId: string) {
  const cmd = CreditHoldEntity.build(GetItemCommand).key({ userId, jobId }).options({ consistent: true });
  const { Item } = await cmd.send();
  return Item;
}

/**
 * Holds `credits` for a job. One transaction: create the hold (once per job), take the credits
 * from the balance only if it is at least `credits`, and append the ledger entry. A second call
 * for the same job returns the first reservation; a short balance throws 402 INSUFFICIENT_CREDITS.
 */
export async function reserveCredits(
  input: { userId: string; jobId: string; credits: number },
  deps: LedgerDeps = {},
): Promise<{ reserved: number; balance: number }> {
  const { userId, jobId, credits } = input;
  assertId('userId', userId);
  assertId('jobId', jobId);
  assertCredits(credits);
  const at = nowOf(deps);
  return withRetries(async () => {
    const items: Tx[] = [
      CreditHoldEntity.build(PutTransaction)
        .item({ userId, jobId, credits, status: 'reserved', charged: 0, refunded: 0, at: at.toISOString() })
        .options({ condition: { attr: 'jobId', exists: false } }),
      CreditBalanceEntity.build(UpdateTransaction)
        .item({ userId, balance: $subtract($get('balance'), credits), reserved: $add(credits), version: $add(1) })
        .options({ condition: { attr: 'balance', gte: credits } }),
      ledgerEntry(userId, 'reserve', jobId, -credits, 'job', at),
    ];
    try {
      await transact(deps, items);
    } catch (err) {
      const codes = cancellationCodes(err);
      if (codes?.[0] === 'ConditionalCheckFailed' || codes?.[2] === 'ConditionalCheckFailed') {
        const hold = await readHold(userId, jobId);
        const { balance } = await getBalance(userId);
        return { reserved: hold?.credits ?? 0, balance };
      }
      if (codes?.[1] === 'ConditionalCheckFailed') {
        const { balance } = await getBalance(userId);
        throw new PaymentRequiredError(`This job needs ${credits} credits; you have ${balance}`, { required: credits, balance });
      }
      throw err;
    }
    const { balance } = await getBalance(userId);
    return { reserved: credits, balance };
  });
}

/**
 * Charges `actualCredits` for a reserved job and returns the rest of the hold to the balance.
 * A job longer than quoted takes the difference from the balance (402 if short). Idempotent:
 * a settled job returns its first result; a refunded job charges nothing.
 */
export async function settleCredits(
  input: { userId: string; jobId: string; actualCredits: number },
  deps: LedgerDeps = {},
): Promise<{ charged: number; refunded: number }> {
  const { userId, jobId, actualCredits } = input;
  assertId('userId', userId);
  assertId('jobId', jobId);
  assertCredits(actualCredits, true);
  const at = nowOf(deps);
  return withRetries(async () => {
    const hold = await readHold(userId, jobId);
    if (!hold) throw new ConflictError(`No credits are reserved for job ${jobId}`);
    if (hold.status === 'settled') return { charged: hold.charged, refunded: hold.refunded };
    if (hold.status === 'refunded') return { charged: 0, refunded: 0 };
    const diff = hold.credits - actualCredits; // > 0: give back; < 0: take more
    const balanceUpdate = CreditBalanceEntity.build(UpdateTransaction).item({
      userId,
      balance: diff >= 0 ? $add(diff) : $subtract($get('balance'), -diff),
      reserved: $subtract($get('reserved'), hold.credits),
      spent: $add(actualCredits),
      version: $add(1),
    });
    const items: Tx[] = [
      CreditHoldEntity.build(UpdateTransaction)
        .item({ userId, jobId, status: 'settled', charged: actualCredits, refunded: Math.max(0, diff) })
        .options({ condition: { and: [{ attr: 'status', eq: 'reserved' }, { attr: 'credits', eq: hold.credits }] } }),
      diff < 0 ? balanceUpdate.options({ condition: { attr: 'balance', gte: -diff } }) : balanceUpdate,
      ledgerEntry(userId, 'settle', jobId, diff, 'job', at),
    ];
    try {
      await transact(deps, items);
      return { charged: actualCredits, refunded: Math.max(0, diff) };
    } catch (err) {
      const codes = cancellationCodes(err);
      if (codes?.[0] === 'ConditionalCheckFailed' || codes?.[2] === 'ConditionalCheckFailed') {
        throw new RetryableRaceError('hold changed', { cause: err });
      }
      if (codes?.[1] === 'ConditionalCheckFailed') {
        const { balance } = await getBalance(userId);
        throw new PaymentRequiredError(`The job used ${actualCredits} credits, ${-diff} more than reserved; you have ${balance}`, {
          required: -diff,
          balance,
        });
      }
      throw err;
    }
  });
}

/**
 * The transaction items that return a job's whole hold to the balance, for a caller that writes
 * them with its own items (the job store ends a failed or cancelled job and refunds it in one
 * transaction). Undefined when nothing is reserved (no hold, or already settled or refunded).
 * The hold item goes first and is conditioned on being unchanged: when that condition fails,
 * the caller re-reads (RetryableRaceError).
 */
export async function refundTransaction(userId: string, jobId: string, reason: string, at: Date): Promise<{ items: Tx[]; credits: number } | undefined> {
  assertId('userId', userId);
  assertId('jobId', jobId);
  const hold = await readHold(userId, jobId);
  if (!hold || hold.status !== 'reserved') return undefined;
  const items: Tx[] = [
    CreditHoldEntity.build(UpdateTransaction)
      .item({ userId, jobId, status: 'refunded', refunded: hold.credits })
      .options({ condition: { and: [{ attr: 'status', eq: 'reserved' }, { attr: 'credits', eq: hold.credits }] } }),
    CreditBalanceEntity.build(UpdateTransaction).item({
      userId,
      balance: $add(hold.credits),
      reserved: $subtract($get('reserved'), hold.credits),
      version: $add(1),
    }),
    ledgerEntry(userId, 'refund', jobId, hold.credits, String(reason || 'refund').slice(0, 120), at),
  ];
  return { items, credits: hold.credits };
}

/** Returns a job's whole hold to the balance (a repair, or a hold without a job). No-op once settled or refunded. */
export async function refundCredits(
  input: { userId: string; jobId: string; reason: string },
  deps: LedgerDeps = {},
): Promise<{ refunded: number }> {
  const at = nowOf(deps);
  return withRetries(async () => {
    const refund = await refundTransaction(input.userId, input.jobId, input.reason, at);
    if (!refund) return { refunded: 0 };
    try {
      await transact(deps, refund.items);
      return { refunded: refund.credits };
    } catch (err) {
      const codes = cancellationCodes(err);
      if (codes?.[0] === 'ConditionalCheckFailed' || codes?.[2] === 'ConditionalCheckFailed') throw new RetryableRaceError('hold changed', { cause: err });
      throw err;
    }
  });
}

/** Admin correction: positive adds credits (a grant), negative removes available credits. */
export async function adjustCredits(input: { userId: string; ref: string; credits: number }, deps: LedgerDeps = {}): Promise<{ applied: number }> {
  const at = nowOf(deps);
  if (input.credits >= 0) {
    const r = await grantCredits({ userId: input.userId, ref: `adjust:${input.ref}`, credits: input.credits, source: 'admin' }, deps);
    return { applied: r.granted };
  }
  return withRetries(async () => {
    const plan = planRevoke(input.userId, `adjust:${input.ref}`, -input.credits, false, at, await readBalance(input.userId));
    try {
      await transact(deps, plan.items);
      return { applied: -plan.revoked };
    } catch (err) {
      const codes = cancellationCodes(err);
      if (codes?.[0] === 'ConditionalCheckFailed') return { applied: 0 };
      if (codes?.[1] === 'ConditionalCheckFailed') throw new RetryableRaceError('balance changed', { cause: err });
      throw err;
    }
  });
}
