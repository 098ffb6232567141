import type { TransactionScorer } from '../../models/index.js';
import type { Transaction } from '../../shared/schemas/transaction.js';
import { chunks } from '../fixtures.js';
import { rate } from '../rate.js';
import type { Rate } from '../rate.js';

export interface InferenceCeilingOptions {
  /** The models runtime, loaded with one intra-op thread: one core's worth. */
  readonly scorer: TransactionScorer;
  readonly transactions: readonly Transaction[];
  /** Rows per `score()` call: the scorer scores one job in one batch. */
  readonly batchSize: number;
  /** How long to keep scoring. */
  readonly durationMs: number;
}

/**
 * onnxruntime-node rows per second through the models' own runtime (featurisation and both
 * sessions), batches of the scorer's job size, one after another on one thread: a per-core figure.
 */
export async function inferenceCeiling(options: InferenceCeilingOptions): Promise<Rate> {
  const batches = chunks(options.transactions, options.batchSize).filter((b) => b.length === options.batchSize);
  if (batches.length === 0) throw new RangeError(`need at least ${options.batchSize} transactions for one batch`);
  // The first runs allocate and warm the sessions.
  for (const batch of batches.slice(0, 3)) await options.scorer.score(batch);
  let rows = 0;
  const started = performance.now();
  for (let i = 0; performance.now() - started < options.durationMs; i += 1) {
    const batch = batches[i % batches.length]!;
    await options.scorer.score(batch);
    rows += batch.length;
  }
  return rate(rows, performance.now() - started);
}
