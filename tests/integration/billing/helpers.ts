import { randomUUID } from 'node:crypto';
import { expect } from '@jest/globals';
import { QueryCommand } from 'dynamodb-toolbox/table/actions/query';
import { AppTable } from '../../../lib/db/table.ts';
import { CreditLedgerEntity, ledgerIndexKey } from '../../../lib/db/credit-ledger.ts';
import { readBalance } from '../../../lib/billing/ledger.ts';

export const newUserId = (prefix = 'bill') => `${prefix}-${randomUUID()}`;

export async function ledgerOf(userId: string) {
  const { Items } = await AppTable.build(QueryCommand)
    .entities(CreditLedgerEntity)
    .query({ index: 'gsi1', partition: ledgerIndexKey(userId) })
    .options({ maxPages: Infinity })
    .send();
  return Items ?? [];
}

/**
 * The ledger invariant: granted = balance + reserved + spent + expired, and the ledger's entries
 * sum to the balance (every balance change has exactly one entry). Returns the balance item.
 */
export async function expectInvariant(userId: string) {
  const b = await readBalance(userId);
  expect(b.granted).toBe(b.balance + b.reserved + b.spent + b.expired);
  expect(b.balance).toBeGreaterThanOrEqual(0);
  expect(b.reserved).toBeGreaterThanOrEqual(0);
  expect(b.packCredits).toBeLessThanOrEqual(b.balance + b.reserved);
  // GSI reads are eventually consistent: wait until the index shows the latest entries.
  let entries = await ledgerOf(userId);
  for (let i = 0; i < 20 && entries.reduce((s, e) => s + e.amount, 0) !== b.balance; i++) {
    await new Promise((r) => setTimeout(r, 100));
    entries = await ledgerOf(userId);
  }
  expect(entries.reduce((s, e) => s + e.amount, 0)).toBe(b.balance);
  const grants = entries.filter((e) => e.kind === 'grant').reduce((s, e) => s + e.amount, 0);
  expect(grants).toBe(b.granted);
  return b;
}
