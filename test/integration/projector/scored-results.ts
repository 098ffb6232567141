import { createHash } from 'node:crypto';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable } from '../../../local/env/provision.js';
import { CATEGORIES } from '../../../shared/schemas/categories.js';
import type { Category } from '../../../shared/schemas/categories.js';
import { SCORED_RESULT_VERSION } from '../../../shared/schemas/scored-result.js';
import type { ScoredResult } from '../../../shared/schemas/scored-result.js';
import { Lane } from '../../../shared/schemas/transaction-change.js';
import type { ChangeKindName } from '../../../shared/schemas/transaction-change.js';
import type { ViewContents } from '../../../shared/view/scan-view.js';
import { uniqueName } from '../../helpers/local-env.js';
import { seeded } from '../../helpers/seeded.js';

/** A valid scored result; override any field. */
export function scoredResult(overrides: Partial<ScoredResult> = {}): ScoredResult {
  const category: Category = overrides.category ?? 'groceries';
  const base: ScoredResult = {
    v: SCORED_RESULT_VERSION,
    transactionId: 'tx-0001',
    userId: 'user-1',
    accountId: 'acc-1',
    bookedAt: '2026-11-20T10:15:00+01:00',
    amount: { minor: -1250, currency: 'EUR' },
    merchant: { name: 'ALBERT HEIJN 1234 AMSTERDAM', mcc: '5411' },
    category,
    categoryScores: CATEGORIES.map((c) => (c === category ? 0.89 : 0.01)),
    anomalyScore: 0.12,
    isAnomaly: false,
    models: { categoriser: 'categoriser@test', anomaly: 'anomaly@test' },
    contentHash: 'hash',
    ingestedAt: '2026-11-20T09:15:01.000Z',
    scoredAt: '2026-11-20T09:15:01.200Z',
    ...overrides,
  };
  return { ...base, contentHash: overrides.contentHash ?? createHash('sha256').update(JSON.stringify([base.transactionId, base.bookedAt, base.amount])).digest('hex').slice(0, 16) };
}

const CURRENCIES = ['EUR', 'USD', 'JPY'] as const;
const OFFSETS = ['+01:00', '-05:00', 'Z', '+09:00', '+05:30'] as const;

/**
 * `count` results across users, months, categories and currencies. Times sit near month ends in
 * offsets far from UTC, so the local month and the UTC month often differ (the totals must follow
 * the local one).
 */
export function scoredResults(count: number, options: { seed?: number; users?: number; prefix?: string; months?: readonly string[] } = {}): ScoredResult[] {
  const random = seeded(options.seed ?? 1);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
  const months = options.months ?? ['2026-09', '2026-10', '2026-11'];
  const prefix = options.prefix ?? 'tx';
  return Array.from({ length: count }, (_, i) => {
    const day = pick([1, 15, 28, 30]);
    const hour = pick(['00', '12', '23']);
    const month = pick(months);
    const category = pick(CATEGORIES.slice(0, 5));
    const isAnomaly = random() < 0.1;
    return scoredResult({
      transactionId: `${prefix}-${i}`,
      userId: `user-${Math.floor(random() * (options.users ?? 5))}`,
      bookedAt: `${month}-${String(day).padStart(2, '0')}T${hour}:30:00${pick(OFFSETS)}`,
      amount: { minor: Math.round((random() - 0.8) * 20_000), currency: pick(CURRENCIES) },
      category,
      categoryScores: CATEGORIES.map((c) => (c === category ? 0.89 : 0.01)),
      anomalyScore: isAnomaly ? 0.97 : 0.05,
      isAnomaly,
    });
  });
}

/** What the totals must be: sums per user, local month (the bookedAt string's own date), category and currency. */
export function expectedTotals(results: readonly ScoredResult[]): Map<string, { sumMinor: number; txnCount: number }> {
  const seen = new Set<string>();
  const totals = new Map<string, { sumMinor: number; txnCount: number }>();
  for (const r of results) {
    if (seen.has(r.transactionId)) continue;
    seen.add(r.transactionId);
    const key = `${r.userId}|${r.bookedAt.slice(0, 7)}|${r.category}|${r.amount.currency}`;
    const before = totals.get(key) ?? { sumMinor: 0, txnCount: 0 };
    totals.set(key, { sumMinor: before.sumMinor + r.amount.minor, txnCount: before.txnCount + 1 });
  }
  return totals;
}

/** `result` as version `revision` of its transaction, as the crawler marks a change (`pendingTransactionId` on a posted one). */
export function withChange(result: ScoredResult, kind: ChangeKindName, revision: number, pendingTransactionId?: string): ScoredResult {
  return { ...result, change: { kind, revision, connectionId: 'conn-1', lane: Lane.Live, ...(pendingTransactionId === undefined ? {} : { pendingTransactionId }) } };
}

/** The totals the read model computes from a scanned view, in the shape `expectedTotals` gives. */
export function shownTotals(view: ViewContents): Map<string, { sumMinor: number; txnCount: number }> {
  return new Map(view.totals.map((t) => [`${t.userId}|${t.month}|${t.category}|${t.currency}`, { sumMinor: t.sumMinor, txnCount: t.count }]));
}

/** A view table of its own (catalog key schema), and a way to drop it. */
export async function createViewTable(dynamodb: DynamoDBClient, prefix = 'view'): Promise<{ tableName: string; drop(): Promise<void> }> {
  const tableName = uniqueName(prefix);
  await ensureTable(dynamodb, tableName, 'view');
  return { tableName, drop: async () => void (await dynamodb.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined)) };
}
