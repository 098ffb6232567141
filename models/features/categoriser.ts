import type { Transaction } from '../../shared/schemas/transaction.js';
import { absoluteEuros, UNITS_PER_EUR } from './fx.js';
import { localTime } from './local-time.js';
import { fnv1a, textTokens } from './text.js';

/**
 * Bump when the meaning of any categoriser feature changes (a token, a weight, a bin): the
 * schema hash then changes and the loader refuses models trained on the old features.
 */
export const CATEGORISER_FEATURE_VERSION = 1;

/** Hashed token buckets; collisions are rare enough at this size for a dozen classes. */
export const HASH_BUCKETS = 1024;

/** Dense features after the hashed block, in order. */
export const CATEGORISER_DENSE_FEATURES = ['is_credit', 'log_amount_eur_scaled'] as const;

export const CATEGORISER_WIDTH = HASH_BUCKETS + CATEGORISER_DENSE_FEATURES.length;

/** Upper bounds (euros) of the amount bins; the last bin is open. */
export const AMOUNT_BINS_EUR = [2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000] as const;

const MAX_DESCRIPTION_TOKENS = 12;
// log1p of a few thousand euros is about 8: keeps the dense amount near the scale of the tokens.
const LOG_AMOUNT_SCALE = 8;

/** What the categoriser's features are; hashed into the schema hash. */
export const CATEGORISER_SPEC = {
  name: 'categoriser-features',
  version: CATEGORISER_FEATURE_VERSION,
  width: CATEGORISER_WIDTH,
  hash: { function: 'fnv1a-32', buckets: HASH_BUCKETS },
  tokens: [
    'g:<character trigram of ^word$ in the merchant name>, weight 1/sqrt(count)',
    'w:<merchant word>, weight 1/sqrt(count)',
    'b:<first two merchant words>',
    `d:<description word, first ${MAX_DESCRIPTION_TOKENS}>, weight 1/sqrt(count)`,
    'm:<mcc|none>',
    'm2:<first two mcc digits>',
    'a:<credit|debit>:<amount bin>',
    's:<credit|debit>:<mcc|none>',
    'c:<currency>',
    'h:<local hour>, weight 0.5',
    'dow:<local weekday>, weight 0.5',
    'dom:<day-of-month bucket>, weight 0.5',
  ],
  amountBinsEur: AMOUNT_BINS_EUR,
  unitsPerEur: UNITS_PER_EUR,
  dense: CATEGORISER_DENSE_FEATURES,
  logAmountScale: LOG_AMOUNT_SCALE,
  textTokens: 'NFKD, accents folded, lower case, split on non-alphanumerics, tokens with digits dropped',
} as const;

/** Receives one (column, value) pair; a column may come more than once (hash collisions add up). */
export type FeatureSink = (column: number, value: number) => void;

function amountBin(euros: number): number {
  let bin = 0;
  while (bin < AMOUNT_BINS_EUR.length && euros >= (AMOUNT_BINS_EUR[bin] as number)) bin += 1;
  return bin;
}

function dayOfMonthBucket(day: number): string {
  if (day <= 3) return 'start';
  if (day >= 28) return 'end';
  if (day >= 20) return 'late';
  return 'mid';
}

function emitToken(sink: FeatureSink, token: string, value: number): void {
  sink(fnv1a(token) % HASH_BUCKETS, value);
}

/** A merchant name's (column, value) pairs, computed once per distinct name. */
interface NameColumns {
  readonly columns: Int32Array;
  readonly values: Float64Array;
}

// Names repeat all the time (the same stores, day after day), and their tokens are most of the
// work; the memo is bounded and simply starts over when full. It changes no value, only speed.
const NAME_MEMO_LIMIT = 20_000;
const nameMemo = new Map<string, NameColumns>();

function nameColumns(name: string): NameColumns {
  const known = nameMemo.get(name);
  if (known) return known;
  const columns: number[] = [];
  const values: number[] = [];
  const collect: FeatureSink = (column, value) => {
    columns.push(column);
    values.push(value);
  };
  const words = textTokens(name);
  const grams: string[] = [];
  for (const word of words) {
    const padded = `^${word}$`;
    for (let i = 0; i + 3 <= padded.length; i += 1) grams.push(padded.slice(i, i + 3));
  }
  const gramWeight = grams.length > 0 ? 1 / Math.sqrt(grams.length) : 0;
  for (const gram of grams) emitToken(collect, `g:${gram}`, gramWeight);
  const wordWeight = words.length > 0 ? 1 / Math.sqrt(words.length) : 0;
  for (const word of words) emitToken(collect, `w:${word}`, wordWeight);
  if (words.length >= 2) emitToken(collect, `b:${words[0]}_${words[1]}`, 1);
  const entry = { columns: Int32Array.from(columns), values: Float64Array.from(values) };
  if (nameMemo.size >= NAME_MEMO_LIMIT) nameMemo.clear();
  nameMemo.set(name, entry);
  return entry;
}

/**
 * The one definition of the categoriser's features: training writes them into sparse rows and
 * scoring into dense ones through this same function, so the two cannot drift.
 */
export function encodeCategoriser(transaction: Transaction, sink: FeatureSink): void {
  const name = nameColumns(transaction.merchant.name);
  for (let i = 0; i < name.columns.length; i += 1) sink(name.columns[i] as number, name.values[i] as number);

  const description = transaction.description === undefined ? [] : textTokens(transaction.description).slice(0, MAX_DESCRIPTION_TOKENS);
  const descriptionWeight = description.length > 0 ? 1 / Math.sqrt(description.length) : 0;
  for (const word of description) emitToken(sink, `d:${word}`, descriptionWeight);

  const mcc = transaction.merchant.mcc;
  emitToken(sink, `m:${mcc ?? 'none'}`, 1);
  if (mcc !== undefined) emitToken(sink, `m2:${mcc.slice(0, 2)}`, 1);

  const credit = transaction.amount.minor > 0;
  const sign = credit ? 'credit' : 'debit';
  const { euros } = absoluteEuros(transaction.amount);
  emitToken(sink, `a:${sign}:${amountBin(euros)}`, 1);
  emitToken(sink, `s:${sign}:${mcc === undefined ? 'none' : 'mcc'}`, 1);
  emitToken(sink, `c:${transaction.amount.currency}`, 1);

  const time = localTime(transaction.bookedAt);
  emitToken(sink, `h:${time.hour}`, 0.5);
  emitToken(sink, `dow:${time.weekday}`, 0.5);
  emitToken(sink, `dom:${dayOfMonthBucket(time.dayOfMonth)}`, 0.5);

  sink(HASH_BUCKETS, credit ? 1 : 0);
  sink(HASH_BUCKETS + 1, Math.log1p(euros) / LOG_AMOUNT_SCALE);
}

/**
 * Dense float32 rows, `transactions.length × CATEGORISER_WIDTH`, row-major: the categoriser's
 * input tensor. Pass `out` to reuse a buffer (it must hold at least that many values).
 */
export function featuriseCategoriser(transactions: readonly Transaction[], out?: Float32Array): Float32Array {
  const size = transactions.length * CATEGORISER_WIDTH;
  const rows = out ? out.subarray(0, size) : new Float32Array(size);
  if (out) rows.fill(0);
  for (let r = 0; r < transactions.length; r += 1) {
    const base = r * CATEGORISER_WIDTH;
    encodeCategoriser(transactions[r] as Transaction, (column, value) => {
      rows[base + column] = (rows[base + column] as number) + value;
    });
  }
  return rows;
}
