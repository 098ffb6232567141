import { z } from 'zod';
import { brokerTransactionSchema } from './transaction.js';
import { transactionChangeSchema } from './transaction-change.js';

export const RAW_RECORD_VERSION = 1 as const;

/**
 * What the crawler puts on the raw stream (and so what Firehose archives): the broker's object as
 * it arrived, validated, plus when and where it was ingested. Money stays the broker's decimal
 * string here so the archive is a faithful copy; workers normalise it.
 */
export const rawRecordSchema = z.object({
  v: z.literal(RAW_RECORD_VERSION),
  /** When the crawler accepted the line (ISO 8601, UTC); the start of the latency clock. */
  ingestedAt: z.string(),
  /** Where the line came from at the broker, for tracing and rejects. */
  source: z.object({ cursor: z.string().nullable(), line: z.number().int().nonnegative() }),
  /** sha256 prefix of the normalised content (see `transactionContentHash`). */
  contentHash: z.string(),
  transaction: brokerTransactionSchema,
  /** Which version of the transaction this is (see `transaction-change.ts`); absent means `added` at revision 0. */
  change: transactionChangeSchema.optional(),
});

export type RawRecord = z.infer<typeof rawRecordSchema>;
