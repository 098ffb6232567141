import { normaliseBrokerTransaction } from '../../../shared/schemas/transaction.js';
import type { Transaction } from '../../../shared/schemas/transaction.js';
import { generateTransactions } from '../../../models/synthetic/index.js';
import type { GenerateOptions, TransactionLabel } from '../../../models/synthetic/index.js';

// Generated lines are validated against this instant, so the tests do not depend on today's date.
const FAR_FUTURE = new Date('2100-01-01T00:00:00Z');

/** Synthetic lines, normalised as the scorer receives them. */
export function trainingTransactions(options: GenerateOptions & { count: number }): Transaction[] {
  return generateTransactions(options).map((row) => normaliseBrokerTransaction(row.broker, FAR_FUTURE));
}

/** Synthetic lines, normalised, with their labels. */
export function labelledTransactions(options: GenerateOptions & { count: number }): { transactions: Transaction[]; labels: TransactionLabel[] } {
  const rows = generateTransactions(options);
  return { transactions: rows.map((row) => normaliseBrokerTransaction(row.broker, FAR_FUTURE)), labels: rows.map((row) => row.label) };
}
