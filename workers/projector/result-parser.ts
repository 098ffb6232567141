import { isActiveCurrency } from '../../shared/money.js';
import { scoredResultSchema } from '../../shared/schemas/scored-result.js';
import type { ScoredResult } from '../../shared/schemas/scored-result.js';
import { MalformedResultError } from './errors.js';
import { isScoredResult } from './result-check.js';
import { isBookedAt } from '../../shared/view/months.js';

/**
 * Decodes one results-stream record into a `ScoredResult` the view can hold, or throws
 * `MalformedResultError` saying why not. Beyond the schema it checks what the view's keys and
 * totals rely on: `bookedAt` with an offset (the local month and the sort key come from it) and
 * an active currency (totals are kept per currency).
 */
export function parseScoredResult(data: Uint8Array): ScoredResult {
  // A view of the bytes, not a copy.
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new MalformedResultError('not JSON', undefined, { cause: error });
  }
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
