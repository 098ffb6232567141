import type { ScoredResult } from '../../shared/schemas/scored-result.js';
import { localMonth, totalKeyOf } from './view-model.js';

/** DynamoDB's limit of actions (distinct items) in one `TransactWriteItems`. */
export const MAX_TRANSACTION_ACTIONS = 100;

/** The most actions one result can need: marker, transaction item, anomaly copy, its total. */
export const MAX_ACTIONS_PER_RESULT = 4;

/**
 * How a batch's results are cut into view transactions.
 * - `per-record`: one transaction per result (the baseline; about 3 actions each).
 * - `user-month`: one transaction per user and month (split when it would pass the limit), so a
 *   month's totals are updated once per transaction however many results they count.
 * - `packed`: results ordered by user and month as above, but several user-months share a
 *   transaction up to the action limit: fewest round trips when users have few results per batch.
 */
export const Grouping = {
  PerRecord: 'per-record',
  UserMonth: 'user-month',
  Packed: 'packed',
} as const;
export type Grouping = (typeof Grouping)[keyof typeof Grouping];

/** Actions a result needs apart from its total: marker, transaction item and, if flagged, anomaly copy. */
export function itemActions(result: ScoredResult): number {
  return result.isAnomaly ? 3 : 2;
}

/** Actions one transaction of these results takes: their items plus one update per distinct total. */
export function transactionActions(results: readonly ScoredResult[]): number {
  const totals = new Set(results.map((r) => keyId(totalKeyOf(r))));
  return results.reduce((n, r) => n + itemActions(r), 0) + totals.size;
}

function keyId(key: { pk: string; sk: string }): string {
  return `${key.pk}\u0000${key.sk}`;
}

/**
 * Keeps the first result of each transactionId. Two actions on one item in one transaction are a
 * validation error, and the first copy is the one that stands anyway.
 */
export function dedupeByTransactionId(results: readonly ScoredResult[]): { unique: ScoredResult[]; duplicates: number } {
  const seen = new Set<string>();
  const unique: ScoredResult[] = [];
  for (const result of results) {
    if (seen.has(result.transactionId)) continue;
    seen.add(result.transactionId);
    unique.push(result);
  }
  return { unique, duplicates: results.length - unique.length };
}

/**
 * Cuts results (unique by transactionId) into transactions of at most `maxActions` actions, as
 * `grouping` says. Results of one user and month stay together and in stream order, so a month's
 * totals are touched by as few transactions as possible.
 */
export function planTransactions(results: readonly ScoredResult[], grouping: Grouping, maxActions: number = MAX_TRANSACTION_ACTIONS): ScoredResult[][] {
  if (!Number.isInteger(maxActions) || maxActions < MAX_ACTIONS_PER_RESULT || maxActions > MAX_TRANSACTION_ACTIONS) {
    throw new RangeError(`maxActions must be an integer from ${MAX_ACTIONS_PER_RESULT} to ${MAX_TRANSACTION_ACTIONS}, got ${maxActions}`);
  }
  if (grouping === Grouping.PerRecord) return results.map((r) => [r]);

  const groups = new Map<string, ScoredResult[]>();
  for (const result of results) {
    const id = `${result.userId}\u0000${localMonth(result.bookedAt)}`;
    const group = groups.get(id);
    if (group === undefined) groups.set(id, [result]);
    else group.push(result);
  }

  const transactions: ScoredResult[][] = [];
  let current: ScoredResult[] = [];
  let actions = 0;
  let totals = new Set<string>();
  const flush = (): void => {
    if (current.length > 0) transactions.push(current);
    current = [];
    actions = 0;
    totals = new Set();
  };
  for (const group of groups.values()) {
    if (grouping === Grouping.UserMonth) flush();
    for (const result of group) {
      const total = keyId(totalKeyOf(result));
      const cost = itemActions(result) + (totals.has(total) ? 0 : 1);
      if (actions + cost > maxActions) flush();
      current.push(result);
      actions += itemActions(result) + (totals.has(total) ? 0 : 1);
      totals.add(total);
    }
  }
  flush();
  return transactions;
}
