import { generateTransactions } from '../models/index.js';
import type { TransactionScorer } from '../models/index.js';
import { RAW_RECORD_VERSION } from '../shared/schemas/raw-record.js';
import type { RawRecord } from '../shared/schemas/raw-record.js';
import { SCORED_RESULT_VERSION } from '../shared/schemas/scored-result.js';
import type { ScoredResult } from '../shared/schemas/scored-result.js';
import { normaliseBrokerTransaction, transactionContentHash } from '../shared/schemas/transaction.js';
import type { Transaction } from '../shared/schemas/transaction.js';

/** A synthetic transaction both as the broker sent it (raw record) and normalised (for scoring). */
export interface BenchTransaction {
  readonly raw: RawRecord;
  readonly transaction: Transaction;
}

/**
 * `count` transactions from the seeded synthetic generator, shaped exactly as the crawler puts
 * them on the raw stream, so every ceiling moves the bytes the pipeline moves.
 */
export function benchTransactions(count: number, seed: number): BenchTransaction[] {
  const now = new Date();
  const startAt = new Date(now.getTime() - (Math.ceil(count / 200) + 3) * 86_400_000);
  return generateTransactions({ count, seed, startAt }).map(({ broker }, line) => {
    const transaction = normaliseBrokerTransaction(broker, now);
    return {
      transaction,
      raw: {
        v: RAW_RECORD_VERSION,
        ingestedAt: now.toISOString(),
        source: { cursor: null, line },
        contentHash: transactionContentHash(transaction),
        transaction: broker,
      },
    };
  });
}

/** Scored results as the scorer puts them on the results stream, scored by the real models. */
export async function benchScoredResults(transactions: readonly BenchTransaction[], scorer: TransactionScorer): Promise<ScoredResult[]> {
  const scores = await scorer.score(transactions.map((t) => t.transaction));
  const now = new Date().toISOString();
  return transactions.map(({ transaction, raw }, index) => {
    const score = scores[index]!;
    return {
      v: SCORED_RESULT_VERSION,
      transactionId: transaction.transactionId,
      userId: transaction.userId,
      accountId: transaction.accountId,
      bookedAt: transaction.bookedAt,
      amount: { minor: transaction.amount.minor, currency: transaction.amount.currency },
      merchant: transaction.merchant.mcc === undefined ? { name: transaction.merchant.name } : { name: transaction.merchant.name, mcc: transaction.merchant.mcc },
      category: score.category,
      categoryScores: score.categoryScores,
      anomalyScore: score.anomalyScore,
      isAnomaly: score.isAnomaly,
      models: { ...scorer.modelIds },
      contentHash: raw.contentHash,
      ingestedAt: raw.ingestedAt,
      scoredAt: now,
    };
  });
}

/** Splits a list into consecutive slices of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
