import { CATEGORIES } from '../../shared/schemas/categories.js';
import { normaliseBrokerTransaction } from '../../shared/schemas/transaction.js';
import type { Transaction } from '../../shared/schemas/transaction.js';
import { fnv1a } from '../features/text.js';
import { generateTransactions } from '../synthetic/generate.js';
import type { GenerateOptions } from '../synthetic/generate.js';

/** A labelled set, normalised exactly as the scorer receives transactions. */
export interface LabelledSet {
  readonly transactions: readonly Transaction[];
  /** Index into `CATEGORIES`. */
  readonly categories: Int32Array;
  readonly anomalies: readonly boolean[];
}

export interface SplitDataset {
  readonly train: LabelledSet;
  readonly heldOut: LabelledSet;
}

/** One user in this many is held out (with all their lines), so evaluation meets unseen people. */
export const HELD_OUT_EVERY = 5;

// Lines are checked against this instant rather than the clock, so a build never depends on today.
const VALIDATION_CLOCK = new Date('2100-01-01T00:00:00Z');

/** Whether a user's lines belong to the held-out split; by a hash of the id, not by position. */
export function isHeldOut(userId: string): boolean {
  return fnv1a(userId) % HELD_OUT_EVERY === 0;
}

function labelledSet(rows: readonly { transaction: Transaction; category: number; anomaly: boolean }[]): LabelledSet {
  return {
    transactions: rows.map((row) => row.transaction),
    categories: Int32Array.from(rows.map((row) => row.category)),
    anomalies: rows.map((row) => row.anomaly),
  };
}

/**
 * Generates the synthetic lines, passes each through the broker contract's own normalisation, and
 * splits by user into training and held-out sets.
 */
export function buildDataset(options: GenerateOptions & { readonly count: number }): SplitDataset {
  const train: { transaction: Transaction; category: number; anomaly: boolean }[] = [];
  const heldOut: typeof train = [];
  for (const { broker, label } of generateTransactions(options)) {
    const transaction = normaliseBrokerTransaction(broker, VALIDATION_CLOCK);
    const row = { transaction, category: CATEGORIES.indexOf(label.category), anomaly: label.isAnomaly };
    (isHeldOut(transaction.userId) ? heldOut : train).push(row);
  }
  return { train: labelledSet(train), heldOut: labelledSet(heldOut) };
}
