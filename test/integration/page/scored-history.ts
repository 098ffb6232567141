import { TransactionScorer } from '../../../models/index.js';
import { generateTransactions } from '../../../models/synthetic/generate.js';
import { SCORED_RESULT_VERSION } from '../../../shared/schemas/scored-result.js';
import type { ScoredResult } from '../../../shared/schemas/scored-result.js';
import { parseBrokerLine, transactionContentHash } from '../../../shared/schemas/transaction.js';
import type { Transaction } from '../../../shared/schemas/transaction.js';

export interface ScoredHistoryOptions {
  readonly seed: number;
  readonly users: number;
  readonly count: number;
  /** @default '2026-10-01T00:00:00Z' */
  readonly startAt?: string;
  /** Share of card payments the generator makes unusual. @default 0.05 */
  readonly anomalyRate?: number;
}

/**
 * A few users' synthetic bank history (the broker's own generator), validated by the crawler's
 * rules and scored by the real models, as the projector would receive it: data the page can show
 * with realistic merchants, categories and amounts.
 */
export async function scoredHistory(options: ScoredHistoryOptions): Promise<ScoredResult[]> {
  const lines = generateTransactions({ seed: options.seed, users: options.users, count: options.count, startAt: options.startAt ?? '2026-10-01T00:00:00Z', anomalyRate: options.anomalyRate ?? 0.05 });
  // Judged at the moment after the last line, so lines booked after the real clock still pass.
  const last = lines[lines.length - 1]?.broker.bookedAt ?? new Date().toISOString();
  const now = new Date(Date.parse(last) + 1000);
  const transactions: Transaction[] = [];
  for (const { broker } of lines) {
    const parsed = parseBrokerLine(JSON.stringify(broker), now);
    if (parsed.ok) transactions.push(parsed.transaction);
  }
  const scorer = await TransactionScorer.create({ intraOpNumThreads: 1 });
  try {
    const scores = await scorer.score(transactions);
    const at = now.toISOString();
    return transactions.map((transaction, i) => {
      const score = scores[i]!;
      return {
        v: SCORED_RESULT_VERSION,
        transactionId: transaction.transactionId,
        userId: transaction.userId,
        accountId: transaction.accountId,
        bookedAt: transaction.bookedAt,
        amount: { ...transaction.amount },
        merchant: { ...transaction.merchant },
        category: score.category,
        categoryScores: score.categoryScores,
        anomalyScore: score.anomalyScore,
        isAnomaly: score.isAnomaly,
        models: { ...scorer.modelIds },
        contentHash: transactionContentHash(transaction),
        ingestedAt: at,
        scoredAt: at,
      };
    });
  } finally {
    await scorer.close();
  }
}
