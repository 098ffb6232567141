import { isActiveCurrency } from '../../shared/money.js';
import { scoredResultSchema } from '../../shared/schemas/scored-result.js';
import type { ScoredResult } from '../../shared/schemas/scored-result.js';
import { MalformedResultError } from './errors.js';
import { isScoredResult } from './result-check.js';
import { isBookedAt } from '../../shared/view/months.js';
import { unpackScoredResults } from '../../shared/schemas/scored-results-record.js';

/** Where a result sits in its record: its index in a packed record, none in a single-result one. */
export interface EntryPlace {
  readonly subSequenceNumber?: number;
}

/** One result a record carries, checked on its own: the result, or why it cannot be one. */
export type ResultEntry = (EntryPlace & { readonly result: ScoredResult }) | (EntryPlace & { readonly error: MalformedResultError; readonly raw?: string });

/**
 * The results one results-stream record carries (`shared/schemas/scored-results-record.ts`): a
 * packed record's each checked alone, so a malformed one costs only itself (its `raw` is its own
 * JSON), or a single result. A record that is not JSON is one malformed entry.
 */
export function readResultsRecord(data: Uint8Array): ResultEntry[] {
  let unpacked: ReturnType<typeof unpackScoredResults>;
  try {
    unpacked = unpackScoredResults(data);
  } catch (error) {
    return [{ error: new MalformedResultError('not JSON', undefined, { cause: error }) }];
  }
  // The scorer never packs nothing; a record that carries nothing is set aside, not skipped unseen.
  if (unpacked.values.length === 0) return [{ error: new MalformedResultError('packed record with no results', undefined) }];
  return unpacked.values.map((value, index) => {
    const place: EntryPlace = unpacked.packed ? { subSequenceNumber: index } : {};
    try {
      return { ...place, result: checkScoredResult(value) };
    } catch (error) {
      if (!(error instanceof MalformedResultError)) throw error;
      return { ...place, error, ...(unpacked.packed ? { raw: JSON.stringify(value) } : {}) };
    }
  });
}

/**
 * One result as parsed JSON (a single record's, or an element of a packed one) as a
 * `ScoredResult` the view can hold, or `MalformedResultError` saying why not. Beyond the schema it
 * checks what the view's keys and totals rely on: `bookedAt` with an offset (the local month and
 * the sort key come from it) and an active currency (totals are kept per currency).
 */
export function checkScoredResult(value: unknown): ScoredResult {
  const result = isScoredResult(value) ? value : fromSchema(value);
  if (result.transactionId === '' || result.userId === '') throw new MalformedResultError('transactionId and userId must not be empty', result.transactionId);
  if (!isBookedAt(result.bookedAt)) throw new MalformedResultError(`bookedAt '${result.bookedAt}' is not ISO 8601 with an offset`, result.transactionId);
  if (!isActiveCurrency(result.amount.currency)) throw new MalformedResultError(`amount.currency '${result.amount.currency}' is not an active ISO 4217 code`, result.transactionId);
  return result;
}

/** The schema's verdict on a record the hand-written check refused: the result, or what is wrong with it. */
function fromSchema(value: unknown): ScoredResult {
  const transactionId = typeof value === 'object' && value !== null && typeof (value as { transactionId?: unknown }).transactionId === 'string' ? (value as { transactionId: string }).transactionId : undefined;
  const parsed = scoredResultSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.map(String).join('.') ?? '';
    throw new MalformedResultError(`${path === '' ? 'record' : path}: ${issue?.message ?? 'does not match the ScoredResult schema'}`, transactionId);
  }
  return parsed.data;
}
