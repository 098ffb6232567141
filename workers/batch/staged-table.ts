import type { StagedRow } from './archive-line.js';
import { AppendedTable } from './appended-table.js';
import type { ViewScore } from './view-scores.js';

/** A valid archive line as it is staged: its row and where it came from (for deterministic deduplication). */
export interface StagedLine {
  readonly row: StagedRow;
  readonly objectKey: string;
  /** 1-based line number in its object. */
  readonly line: number;
}

/** The validated rows of the chunk being processed, before deduplication and enrichment. */
export const STAGED = new AppendedTable<StagedLine>('staged', [
  { name: 'transaction_id', type: 'VARCHAR', value: (s) => s.row.transactionId },
  { name: 'user_id', type: 'VARCHAR', value: (s) => s.row.userId },
  { name: 'account_id', type: 'VARCHAR', value: (s) => s.row.accountId },
  { name: 'booked_at_text', type: 'VARCHAR', value: (s) => s.row.bookedAt },
  { name: 'booked_at_us', type: 'BIGINT', value: (s) => s.row.bookedAtMicros },
  { name: 'local_date', type: 'VARCHAR', value: (s) => s.row.localDate },
  { name: 'amount_minor', type: 'BIGINT', value: (s) => BigInt(s.row.amountMinor) },
  { name: 'currency', type: 'VARCHAR', value: (s) => s.row.currency },
  { name: 'merchant_name', type: 'VARCHAR', value: (s) => s.row.merchantName },
  { name: 'merchant_normalised', type: 'VARCHAR', value: (s) => s.row.merchantNormalised },
  { name: 'merchant_match', type: 'VARCHAR', value: (s) => s.row.merchantMatch },
  { name: 'mcc', type: 'VARCHAR', value: (s) => s.row.mcc },
  { name: 'content_hash', type: 'VARCHAR', value: (s) => s.row.contentHash },
  { name: 'ingested_at_us', type: 'BIGINT', value: (s) => s.row.ingestedAtMicros },
  { name: 'revision', type: 'BIGINT', value: (s) => BigInt(s.row.revision) },
  { name: 'removed', type: 'BOOLEAN', value: (s) => s.row.removed },
  { name: 'pending_transaction_id', type: 'VARCHAR', value: (s) => s.row.pendingTransactionId },
  { name: 'object_key', type: 'VARCHAR', value: (s) => s.objectKey },
  { name: 'line', type: 'INTEGER', value: (s) => s.line },
]);

/** The view's scores for the chunk's transactions (and older rows still without them). */
export const VIEW_SCORES = new AppendedTable<ViewScore>('view_scores', [
  { name: 'transaction_id', type: 'VARCHAR', value: (s) => s.transactionId },
  { name: 'category', type: 'VARCHAR', value: (s) => s.category },
  { name: 'anomaly_score', type: 'DOUBLE', value: (s) => s.anomalyScore },
  { name: 'is_anomaly', type: 'BOOLEAN', value: (s) => s.isAnomaly },
]);
