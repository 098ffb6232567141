import { rawRecordSchema } from '../../shared/schemas/raw-record.js';
import { ChangeKind, changeOf } from '../../shared/schemas/transaction-change.js';
import { RejectCode } from '../../shared/schemas/reject-codes.js';
import { ValidationError } from '../../shared/errors.js';
import { MAX_LINE_BYTES, normaliseBrokerTransaction, parseBrokerLine } from '../../shared/schemas/transaction.js';
import type { BrokerTransaction, LineResult } from '../../shared/schemas/transaction.js';
import { merchantMatchName, normaliseMerchantName } from './merchant-name.js';

/** One valid archived transaction, flat and ready for DuckDB: money already in minor units. */
export interface StagedRow {
  readonly transactionId: string;
  readonly userId: string;
  readonly accountId: string;
  /** As the broker sent it, offset included. */
  readonly bookedAt: string;
  /** The booking instant, epoch microseconds (UTC). */
  readonly bookedAtMicros: bigint;
  /** `YYYY-MM-DD` of the user's local booking date: the date part of `bookedAt`. */
  readonly localDate: string;
  readonly amountMinor: number;
  readonly currency: string;
  readonly merchantName: string;
  readonly merchantNormalised: string;
  /** The name the merchant reference data is matched on (see `merchantMatchName`). */
  readonly merchantMatch: string;
  readonly mcc: string | null;
  readonly contentHash: string;
  /** When the crawler accepted the line, epoch microseconds. */
  readonly ingestedAtMicros: bigint;
  /** The version's revision (0 for a record without a change envelope). */
  readonly revision: number;
  /** The change removes the transaction (from this day: a removal, or the old half of a date move). */
  readonly removed: boolean;
  /** On a posted transaction: the pending one it replaces. */
  readonly pendingTransactionId: string | null;
}

export type LineOutcome =
  | { readonly ok: true; readonly row: StagedRow }
  | { readonly ok: false; readonly code: string; readonly message: string; readonly transactionId?: string; readonly json: boolean };

// The envelope the crawler wraps each transaction in; the transaction itself is checked by the
// crawler's own rules below, not by this schema.
const envelopeSchema = rawRecordSchema.omit({ transaction: true });

function transactionIdOf(value: unknown): string | undefined {
  const id = (value as { transaction?: { transactionId?: unknown } } | null)?.transaction?.transactionId;
  return typeof id === 'string' && id.length <= 64 ? id : undefined;
}

/**
 * The crawler's rules for one transaction. When the whole archive line is within the broker's
 * line limit, so is the transaction in it, and `normaliseBrokerTransaction` (what `parseBrokerLine`
 * runs after its size and JSON checks) decides alone, without serialising the object again.
 */
function checkTransaction(line: string, transaction: unknown, now: Date): LineResult {
  if (line.length * 3 > MAX_LINE_BYTES && Buffer.byteLength(line, 'utf8') > MAX_LINE_BYTES) {
    return parseBrokerLine(JSON.stringify(transaction), now);
  }
  if (transaction === null || typeof transaction !== 'object' || Array.isArray(transaction)) {
    return parseBrokerLine(JSON.stringify(transaction), now);
  }
  try {
    return { ok: true, transaction: normaliseBrokerTransaction(transaction, now), original: transaction as BrokerTransaction };
  } catch (error) {
    if (error instanceof ValidationError) return { ok: false, code: error.code, message: error.message };
    throw error;
  }
}

/**
 * Checks one archive line (a raw record as the crawler put it on the stream) with the crawler's
 * rules: the envelope, then the transaction through `parseBrokerLine`, with "now" set to the
 * record's `ingestedAt`, so the future-date limit is judged against the clock the crawler used and
 * a record accepted then is accepted now. `json` tells whether the line was JSON at all.
 */
export function checkArchiveLine(line: string): LineOutcome {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return { ok: false, code: RejectCode.InvalidJson, message: `not JSON: ${(error as Error).message}`, json: false };
  }
  const transactionId = transactionIdOf(value);
  const withId = transactionId === undefined ? {} : { transactionId };
  const envelope = envelopeSchema.safeParse(value);
  if (!envelope.success) {
    const issue = envelope.error.issues[0];
    const path = issue?.path.map(String).join('.') ?? '';
    return { ok: false, code: RejectCode.MalformedRecord, message: `not a raw record: ${path === '' ? '' : `${path}: `}${issue?.message ?? 'invalid'}`, json: true, ...withId };
  }
  const ingestedMs = Date.parse(envelope.data.ingestedAt);
  if (Number.isNaN(ingestedMs)) {
    return { ok: false, code: RejectCode.MalformedRecord, message: `not a raw record: ingestedAt '${envelope.data.ingestedAt}' is not a date`, json: true, ...withId };
  }
  const transaction = (value as { transaction?: unknown }).transaction;
  if (transaction === undefined) {
    return { ok: false, code: RejectCode.MalformedRecord, message: 'not a raw record: transaction is required', json: true };
  }
  const checked = checkTransaction(line, transaction, new Date(ingestedMs));
  if (!checked.ok) return { ok: false, code: checked.code, message: checked.message, json: true, ...withId };
  const t = checked.transaction;
  const change = changeOf(envelope.data);
  return {
    ok: true,
    row: {
      transactionId: t.transactionId,
      userId: t.userId,
      accountId: t.accountId,
      bookedAt: t.bookedAt,
      bookedAtMicros: BigInt(Date.parse(t.bookedAt)) * 1000n,
      localDate: t.bookedAt.slice(0, 10),
      amountMinor: t.amount.minor,
      currency: t.amount.currency,
      merchantName: t.merchant.name,
      merchantNormalised: normaliseMerchantName(t.merchant.name),
      merchantMatch: merchantMatchName(t.merchant.name),
      mcc: t.merchant.mcc ?? null,
      contentHash: envelope.data.contentHash,
      ingestedAtMicros: BigInt(ingestedMs) * 1000n,
      revision: change.revision,
      removed: change.kind === ChangeKind.Removed,
      pendingTransactionId: change.pendingTransactionId ?? null,
    },
  };
}
