import type { Transaction } from '../../shared/schemas/transaction.js';
import { absoluteEuros, UNITS_PER_EUR } from './fx.js';
import { localTime } from './local-time.js';
import { brandKey, textTokens } from './text.js';

/**
 * Bump when the meaning of any anomaly feature changes; the schema hash (which also covers the
 * fitted statistics) then changes and the loader refuses models trained on the old features.
 */
export const ANOMALY_FEATURE_VERSION = 1;

/** The anomaly model's input columns, in order. */
export const ANOMALY_FEATURES = [
  'log_amount_eur',
  'is_credit',
  'has_mcc',
  'amount_z_group',
  'amount_z_brand',
  'brand_known',
  'brand_log_count',
  'group_log_share',
  'hour_log_prob',
  'is_night',
  'hour_sin',
  'hour_cos',
  'is_weekend',
  'currency_log_share',
  'fx_known',
] as const;

export const ANOMALY_WIDTH = ANOMALY_FEATURES.length;

/** Typical log-amounts and booking hours of one group of payments. */
export interface GroupStats {
  readonly n: number;
  readonly mean: number;
  readonly std: number;
  /** ln P(local hour | group), 24 values, smoothed. */
  readonly hourLogProb: readonly number[];
}

export interface BrandStats {
  readonly n: number;
  readonly mean: number;
  readonly std: number;
}

/**
 * What "usual" looks like, fitted on the training split and shipped next to the model (its hash
 * is part of the anomaly schema hash). Population statistics, not per-user ones: see README.
 */
export interface AnomalyStats {
  readonly version: typeof ANOMALY_FEATURE_VERSION;
  readonly rows: number;
  /** Keyed by MCC, or `none:credit` / `none:debit` for lines without one; only well-populated groups. */
  readonly groups: Readonly<Record<string, GroupStats>>;
  /** Used when a line's own group is missing: keyed `mcc:credit`, `mcc:debit`, `none:credit`, `none:debit`. */
  readonly fallbacks: Readonly<Record<string, GroupStats>>;
  /** Keyed by `brandKey` of the merchant name; only brands seen at least `MIN_BRAND_ROWS` times. */
  readonly brands: Readonly<Record<string, BrandStats>>;
  /** Rows per currency. */
  readonly currencies: Readonly<Record<string, number>>;
}

/** Groups with fewer rows fall back to their sign-level group. */
export const MIN_GROUP_ROWS = 30;
/** Brands with fewer rows count as unknown. */
export const MIN_BRAND_ROWS = 5;
// Floors keep a group that always costs the same (a subscription) from calling a cent's change a 100-sigma event.
const MIN_GROUP_STD = 0.25;
const MIN_BRAND_STD = 0.2;
const HOUR_SMOOTHING = 0.5;
const SIGNIFICANT_DIGITS = 6;

/** The anomaly spec, hashed together with the statistics into the schema hash. */
export const ANOMALY_SPEC = {
  name: 'anomaly-features',
  version: ANOMALY_FEATURE_VERSION,
  width: ANOMALY_WIDTH,
  features: ANOMALY_FEATURES,
  minGroupRows: MIN_GROUP_ROWS,
  minBrandRows: MIN_BRAND_ROWS,
  minGroupStd: MIN_GROUP_STD,
  minBrandStd: MIN_BRAND_STD,
  hourSmoothing: HOUR_SMOOTHING,
  unitsPerEur: UNITS_PER_EUR,
} as const;

const round = (value: number): number => Number(value.toPrecision(SIGNIFICANT_DIGITS));

interface Parsed {
  readonly logEuros: number;
  readonly fxKnown: boolean;
  readonly credit: boolean;
  readonly mcc: string | undefined;
  readonly group: string;
  readonly fallback: string;
  readonly brand: string;
  readonly hour: number;
  readonly weekday: number;
}

function parse(transaction: Transaction): Parsed {
  const { euros, known } = absoluteEuros(transaction.amount);
  const credit = transaction.amount.minor > 0;
  const sign = credit ? 'credit' : 'debit';
  const mcc = transaction.merchant.mcc;
  const time = localTime(transaction.bookedAt);
  return {
    logEuros: Math.log1p(euros),
    fxKnown: known,
    credit,
    mcc,
    group: mcc ?? `none:${sign}`,
    fallback: `${mcc === undefined ? 'none' : 'mcc'}:${sign}`,
    brand: brandKey(textTokens(transaction.merchant.name)),
    hour: time.hour,
    weekday: time.weekday,
  };
}

class Accumulator {
  public n = 0;
  private sum = 0;
  private sumSquares = 0;
  public readonly hours = new Array<number>(24).fill(0);

  public add(value: number, hour: number): void {
    this.n += 1;
    this.sum += value;
    this.sumSquares += value * value;
    this.hours[hour] = (this.hours[hour] as number) + 1;
  }

  public moments(minStd: number): { mean: number; std: number } {
    const mean = this.sum / this.n;
    const variance = Math.max(0, this.sumSquares / this.n - mean * mean);
    return { mean: round(mean), std: round(Math.max(minStd, Math.sqrt(variance))) };
  }

  public group(): GroupStats {
    const total = this.n + 24 * HOUR_SMOOTHING;
    return {
      n: this.n,
      ...this.moments(MIN_GROUP_STD),
      hourLogProb: this.hours.map((count) => round(Math.log((count + HOUR_SMOOTHING) / total))),
    };
  }
}

function sortedRecord<T>(entries: Iterable<[string, T]>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [key, value] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) out[key] = value;
  return out;
}

/**
 * Fits the statistics on training transactions. Deterministic: keys sorted and numbers rounded to
 * six significant digits, so the JSON is byte-identical from run to run.
 */
export function fitAnomalyStats(transactions: readonly Transaction[]): AnomalyStats {
  const groups = new Map<string, Accumulator>();
  const fallbacks = new Map<string, Accumulator>();
  const brands = new Map<string, Accumulator>();
  const currencies = new Map<string, number>();
  const bump = (map: Map<string, Accumulator>, key: string): Accumulator => {
    let accumulator = map.get(key);
    if (!accumulator) {
      accumulator = new Accumulator();
      map.set(key, accumulator);
    }
    return accumulator;
  };
  for (const transaction of transactions) {
    const row = parse(transaction);
    bump(groups, row.group).add(row.logEuros, row.hour);
    bump(fallbacks, row.fallback).add(row.logEuros, row.hour);
    if (row.brand !== '') bump(brands, row.brand).add(row.logEuros, row.hour);
    currencies.set(transaction.amount.currency, (currencies.get(transaction.amount.currency) ?? 0) + 1);
  }
  return {
    version: ANOMALY_FEATURE_VERSION,
    rows: transactions.length,
    groups: sortedRecord([...groups].filter(([, acc]) => acc.n >= MIN_GROUP_ROWS).map(([key, acc]) => [key, acc.group()])),
    fallbacks: sortedRecord([...fallbacks].map(([key, acc]) => [key, acc.group()])),
    brands: sortedRecord([...brands].filter(([, acc]) => acc.n >= MIN_BRAND_ROWS).map(([key, acc]) => [key, { n: acc.n, ...acc.moments(MIN_BRAND_STD) }])),
    currencies: sortedRecord(currencies),
  };
}

const UNSEEN_GROUP: GroupStats = { n: 0, mean: 3, std: 1.5, hourLogProb: new Array<number>(24).fill(Math.log(1 / 24)) };

/**
 * Writes one transaction's anomaly features into `row` at `offset`. Everything comes from the
 * record and the fitted statistics, nothing from other records: the scorer is stateless.
 */
export function encodeAnomaly(transaction: Transaction, stats: AnomalyStats, row: Float32Array, offset: number): void {
  const p = parse(transaction);
  const group = stats.groups[p.group] ?? stats.fallbacks[p.fallback] ?? UNSEEN_GROUP;
  const brand = p.brand === '' ? undefined : stats.brands[p.brand];
  const zGroup = (p.logEuros - group.mean) / group.std;
  const angle = (2 * Math.PI * (p.hour + 0.5)) / 24;
  const values = [
    p.logEuros,
    p.credit ? 1 : 0,
    p.mcc === undefined ? 0 : 1,
    zGroup,
    brand ? (p.logEuros - brand.mean) / brand.std : zGroup,
    brand ? 1 : 0,
    brand ? Math.log1p(brand.n) : 0,
    Math.log((group.n + 1) / (stats.rows + 1)),
    group.hourLogProb[p.hour] ?? Math.log(1 / 24),
    p.hour < 5 ? 1 : 0,
    Math.sin(angle),
    Math.cos(angle),
    p.weekday === 0 || p.weekday === 6 ? 1 : 0,
    Math.log(((stats.currencies[transaction.amount.currency] ?? 0) + 1) / (stats.rows + 1)),
    p.fxKnown ? 1 : 0,
  ];
  for (let i = 0; i < ANOMALY_WIDTH; i += 1) row[offset + i] = values[i] as number;
}

/** Dense float32 rows, `transactions.length × ANOMALY_WIDTH`: the anomaly model's input tensor. */
export function featuriseAnomaly(transactions: readonly Transaction[], stats: AnomalyStats, out?: Float32Array): Float32Array {
  const rows = out ? out.subarray(0, transactions.length * ANOMALY_WIDTH) : new Float32Array(transactions.length * ANOMALY_WIDTH);
  for (let r = 0; r < transactions.length; r += 1) encodeAnomaly(transactions[r] as Transaction, stats, rows, r * ANOMALY_WIDTH);
  return rows;
}
