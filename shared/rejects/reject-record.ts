import { createHash } from 'node:crypto';
import { z } from 'zod';

/** Raw input kept with a reject is cut to this many bytes; `rawBytes` keeps the true size. */
export const MAX_REJECT_RAW_BYTES = 16 * 1024;

export const RejectStage = {
  Crawler: 'crawler',
  StreamReader: 'stream-reader',
  Scorer: 'scorer',
  Projector: 'projector',
  Batch: 'batch',
} as const;

export type RejectStageValue = (typeof RejectStage)[keyof typeof RejectStage];

/** Where a rejected input was: a broker page position, or a stream position. */
export const rejectSourceSchema = z.object({
  cursor: z.string().nullable().optional(),
  line: z.number().int().nonnegative().optional(),
  stream: z.string().optional(),
  shardId: z.string().optional(),
  sequenceNumber: z.string().optional(),
  /** Which result of a packed record (`shared/schemas/scored-results-record.ts`), as the KCL numbers user records in an aggregate. */
  subSequenceNumber: z.number().int().nonnegative().optional(),
  objectKey: z.string().optional(),
});

export type RejectSource = z.infer<typeof rejectSourceSchema>;

export const rejectRecordSchema = z.object({
  /** Derived from stage and source, so rejecting the same input twice writes one record. */
  rejectId: z.string(),
  code: z.string(),
  message: z.string(),
  stage: z.enum([RejectStage.Crawler, RejectStage.StreamReader, RejectStage.Scorer, RejectStage.Projector, RejectStage.Batch]),
  source: rejectSourceSchema,
  raw: z.string(),
  rawBytes: z.number().int().nonnegative(),
  truncated: z.boolean(),
  transactionId: z.string().optional(),
  rejectedAt: z.string(),
});

export type RejectRecord = z.infer<typeof rejectRecordSchema>;

/** Builds a reject record, truncating the raw input on a UTF-8 boundary. */
export function buildRejectRecord(input: {
  code: string;
  message: string;
  stage: RejectStageValue;
  source: RejectSource;
  raw: string;
  transactionId?: string;
  now?: Date;
}): RejectRecord {
  const bytes = Buffer.from(input.raw, 'utf8');
  const truncated = bytes.length > MAX_REJECT_RAW_BYTES;
  // Decoding a cut buffer drops a split trailing character instead of inventing one.
  const raw = truncated ? new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, MAX_REJECT_RAW_BYTES)).replace(/\uFFFD$/, '') : input.raw;
  const rejectId = createHash('sha256').update(JSON.stringify([input.stage, input.source])).digest('hex').slice(0, 32);
  return {
    rejectId,
    code: input.code,
    message: input.message,
    stage: input.stage,
    source: input.source,
    raw,
    rawBytes: bytes.length,
    truncated,
    ...(input.transactionId === undefined ? {} : { transactionId: input.transactionId }),
    rejectedAt: (input.now ?? new Date()).toISOString(),
  };
}
