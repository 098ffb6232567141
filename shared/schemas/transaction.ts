import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ValidationError } from '../errors.js';
import { currencyExponent, isActiveCurrency, parseDecimalToMinor } from '../money.js';
import type { Money } from '../money.js';
import { RejectCode, fieldCode } from './reject-codes.js';

/** A broker line longer than this is rejected as `too-large` before it is parsed. */
export const MAX_LINE_BYTES = 64 * 1024;
/** `bookedAt` may be at most this far ahead of the receiving clock (value dates, time zones). */
export const MAX_FUTURE_MS = 24 * 60 * 60 * 1000;

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const DECIMAL = /^-?\d+(\.\d+)?$/;
const MCC = /^\d{4}$/;
// ISO 8601 date-time with a mandatory offset; fractional seconds optional.
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

const PARTS = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/**
 * True when every field of an ISO date-time names something real. `Date.parse` alone is not
 * enough: it rolls `2026-02-30` over into March instead of refusing it.
 */
export function isRealDateTime(iso: string): boolean {
  const m = PARTS.exec(iso);
  if (m === null) return false;
  const n = (group: number): number => Number(m[group] ?? 0);
  const [year, month, day, hour, minute, second] = [n(1), n(2), n(3), n(4), n(5), n(6)];
  const [offsetHours, offsetMinutes] = [n(8), n(9)];
  const date = new Date(Date.UTC(year, month - 1, day));
  return (
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    hour < 24 &&
    minute < 60 &&
    second < 60 &&
    offsetHours <= 14 &&
    offsetMinutes < 60
  );
}

const id = (label: string) => z.string().regex(ID, `${label} must be 1 to 64 characters of [A-Za-z0-9_-]`);

/**
 * The broker's transaction as it arrives, one per NDJSON line. Unknown extra fields are kept (so
 * the raw archive is faithful) but ignored by everything downstream.
 */
export const brokerTransactionSchema = z
  .object({
    transactionId: id('transactionId'),
    userId: id('userId'),
    accountId: id('accountId'),
    bookedAt: z.string().regex(ISO_WITH_OFFSET, 'bookedAt must be ISO 8601 with an offset, like 2026-11-25T10:15:00+01:00'),
    amount: z
      .object({
        value: z.string().regex(DECIMAL, 'amount.value must be a decimal string like -12.50'),
        currency: z.string().refine(isActiveCurrency, 'amount.currency must be an active ISO 4217 code'),
      })
      .loose(),
    merchant: z
      .object({
        name: z.string().min(1, 'merchant.name must not be empty').max(200, 'merchant.name is longer than 200 characters'),
        mcc: z.string().regex(MCC, 'merchant.mcc must be 4 digits').optional(),
      })
      .loose(),
    description: z.string().max(1000, 'description is longer than 1,000 characters').optional(),
  })
  .loose();

export type BrokerTransaction = z.infer<typeof brokerTransactionSchema>;

/** The normalised transaction every worker uses: money in minor units, unknown fields dropped. */
export interface Transaction {
  readonly transactionId: string;
  readonly userId: string;
  readonly accountId: string;
  /** As the broker sent it, offset included, so the user's local day is never lost. */
  readonly bookedAt: string;
  readonly amount: Money;
  readonly merchant: { readonly name: string; readonly mcc?: string };
  readonly description?: string;
}

const CODE_BY_FIELD: Readonly<Record<string, string>> = {
  'amount.value': RejectCode.BadAmount,
  'amount.currency': RejectCode.UnknownCurrency,
  bookedAt: RejectCode.BadDate,
};

function issueToError(issue: z.core.$ZodIssue): ValidationError {
  const path = issue.path.map(String).join('.');
  const missing = issue.code === 'invalid_type' && issue.input === undefined;
  if (missing) return new ValidationError(fieldCode(RejectCode.MissingField, path), `${path} is required`, path);
  if (path === '') return new ValidationError(RejectCode.NotAnObject, 'a transaction must be a JSON object');
  const code = CODE_BY_FIELD[path] ?? fieldCode(RejectCode.BadField, path);
  const message = issue.code === 'invalid_type' ? `${path} must be a ${issue.expected}` : issue.message;
  return new ValidationError(code, message, path);
}

/**
 * Validates a parsed broker object against every rule, cross-field ones included (fraction digits
 * per currency, the future limit), and returns it normalised. Throws `ValidationError` whose code
 * names the first rule broken.
 */
export function normaliseBrokerTransaction(input: unknown, now: Date = new Date()): Transaction {
  const parsed = brokerTransactionSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw first ? issueToError(first) : new ValidationError(RejectCode.NotAnObject, 'a transaction must be a JSON object');
  }
  return normaliseValidatedBrokerTransaction(parsed.data, now);
}

/**
 * The rules `brokerTransactionSchema` cannot express (a real date, the future limit, fraction
 * digits per currency) and the normalisation, for a broker object that already passed the schema:
 * a raw-stream record's transaction, which the stream-reader validated with `rawRecordSchema`
 * before it put it in a scoring job, so the scorer does not run zod over it a second time.
 * Throws `ValidationError` like `normaliseBrokerTransaction`.
 */
export function normaliseValidatedBrokerTransaction(broker: BrokerTransaction, now: Date = new Date()): Transaction {
  const bookedMs = Date.parse(broker.bookedAt);
  if (Number.isNaN(bookedMs) || !isRealDateTime(broker.bookedAt)) {
    throw new ValidationError(RejectCode.BadDate, `bookedAt '${broker.bookedAt}' is not a real date`, 'bookedAt');
  }
  if (bookedMs - now.getTime() > MAX_FUTURE_MS) {
    throw new ValidationError(RejectCode.FutureDate, `bookedAt '${broker.bookedAt}' is more than one day in the future`, 'bookedAt');
  }
  currencyExponent(broker.amount.currency);
  const amount = parseDecimalToMinor(broker.amount.value, broker.amount.currency);
  return {
    transactionId: broker.transactionId,
    userId: broker.userId,
    accountId: broker.accountId,
    bookedAt: broker.bookedAt,
    amount,
    merchant: broker.merchant.mcc === undefined ? { name: broker.merchant.name } : { name: broker.merchant.name, mcc: broker.merchant.mcc },
    ...(broker.description === undefined ? {} : { description: broker.description }),
  };
}

/** The outcome of checking one broker line: the transaction with its original object, or why not. */
export type LineResult =
  | { readonly ok: true; readonly transaction: Transaction; readonly original: BrokerTransaction }
  | { readonly ok: false; readonly code: string; readonly message: string };

/** Checks one NDJSON line exactly as the broker served it. */
export function parseBrokerLine(line: string, now: Date = new Date()): LineResult {
  const bytes = Buffer.byteLength(line, 'utf8');
  if (bytes > MAX_LINE_BYTES) {
    return { ok: false, code: RejectCode.TooLarge, message: `line is ${bytes} bytes; the limit is ${MAX_LINE_BYTES}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return { ok: false, code: RejectCode.InvalidJson, message: `not JSON: ${(error as Error).message}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, code: RejectCode.NotAnObject, message: 'a transaction must be a JSON object' };
  }
  try {
    const transaction = normaliseBrokerTransaction(value, now);
    return { ok: true, transaction, original: value as BrokerTransaction };
  } catch (error) {
    if (error instanceof ValidationError) return { ok: false, code: error.code, message: error.message };
    throw error;
  }
}

/**
 * A hash of what a transaction means (not how it was spelled): two lines with the same id and the
 * same hash are the same transaction delivered twice; the same id with another hash is a conflict.
 */
export function transactionContentHash(transaction: Transaction): string {
  const canonical = JSON.stringify([
    transaction.transactionId,
    transaction.userId,
    transaction.accountId,
    Date.parse(transaction.bookedAt),
    transaction.amount.minor,
    transaction.amount.currency,
    transaction.merchant.name,
    transaction.merchant.mcc ?? null,
    transaction.description ?? null,
  ]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}
