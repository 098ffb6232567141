/**
 * The insights view's data model: one DynamoDB table (catalog `view`: partition key `pk` S, sort
 * key `sk` S, TTL attribute `expiresAt`) holding four kinds of item. The projector writes them, the
 * read API and CLI query them, and the local runner and tests scan them to measure the pipeline.
 * Items are shown here as plain objects, as `DynamoDBDocumentClient` (or `unmarshall`) gives them.
 *
 * | kind          | pk                     | sk                                           | one per                              |
 * |---------------|------------------------|----------------------------------------------|--------------------------------------|
 * | `transaction` | `USER#<userId>`        | `TXN#<bookedAt, UTC ISO ms>#<transactionId>` | scored transaction                   |
 * | `anomaly`     | `USER#<userId>`        | `ANOM#<bookedAt, UTC ISO ms>#<transactionId>`| scored transaction flagged anomalous |
 * | `total`       | `USER#<userId>`        | `TOTAL#<YYYY-MM>#<category>#<currency>`      | user, local month, category, currency|
 * | `marker`      | `TXID#<transactionId>` | `TXID`                                       | transactionId (the idempotency key)  |
 *
 * Why these keys:
 * - A user's page is one partition. `TXN#` sorts by booking instant, so "recent, newest first" is
 *   one Query (`begins_with(sk, 'TXN#')`, `ScanIndexForward: false`, `Limit`) with no index; the
 *   instant is normalised to UTC so `+01:00` and `Z` spellings of one moment sort together.
 * - The idempotency key is `transactionId`, but the transaction item is keyed by time, so a copy of
 *   a transaction whose `bookedAt` differs (a re-sent or corrected line that slipped past the
 *   crawler's ledger, whose entries expire) would get a second item. The marker, keyed by
 *   `transactionId` alone and global (not per user), is the item every write is conditioned on
 *   (`attribute_not_exists`), in the same `TransactWriteItems` as the transaction item and the
 *   totals it counts: the first copy stands, every later copy changes nothing. It also points at
 *   the transaction item (`txnSk`), so a transaction can be found by id.
 * - Totals are pre-aggregated per user, month of the user's LOCAL booking date (the date part of
 *   `bookedAt`, which carries the user's offset), category and currency: minor units of different
 *   currencies are never added together. `ADD` makes a first write create the item.
 * - Anomalies get their own small copy under `ANOM#`, so "flagged anomalies" is one Query that
 *   reads only anomalies instead of filtering a user's whole history.
 *
 * Attribute names avoid DynamoDB's reserved words (`total`, `count`, `name`, `month` ...) where we
 * choose them, and every expression aliases names through `ExpressionAttributeNames` anyway.
 */
import type { Category } from '../../shared/schemas/categories.js';
import type { ScoredResult } from '../../shared/schemas/scored-result.js';

/** Key prefixes; part of the stored data, so never change one without migrating the table. */
export const KeyPrefix = {
  User: 'USER#',
  Transaction: 'TXN#',
  Anomaly: 'ANOM#',
  Total: 'TOTAL#',
  Marker: 'TXID#',
} as const;

/** The sort key of every marker item (its partition key alone identifies it). */
export const MARKER_SK = 'TXID' as const;

/** The `kind` attribute every item carries, so a scan can tell items apart without parsing keys. */
export const ItemKind = {
  Transaction: 'transaction',
  Anomaly: 'anomaly',
  Total: 'total',
  Marker: 'marker',
} as const;
export type ItemKind = (typeof ItemKind)[keyof typeof ItemKind];

/** Attribute names used in expressions; the writer and readers alias them all. */
export const Attr = {
  pk: 'pk',
  sk: 'sk',
  kind: 'kind',
  expiresAt: 'expiresAt',
  sumMinor: 'sumMinor',
  txnCount: 'txnCount',
  userId: 'userId',
  month: 'month',
  category: 'category',
  currency: 'currency',
  updatedAt: 'updatedAt',
} as const;

/** The key of any view item. */
export interface ViewKey {
  readonly pk: string;
  readonly sk: string;
}

/** A scored transaction as the view holds it: the scored result plus where and when it landed. */
export interface TransactionItem extends ViewKey {
  readonly kind: typeof ItemKind.Transaction;
  readonly transactionId: string;
  readonly userId: string;
  readonly accountId: string;
  /** As the broker sent it, offset included. */
  readonly bookedAt: string;
  /** `bookedAt` as a UTC ISO instant (ms), the sort key's time part. */
  readonly bookedAtUtc: string;
  /** `YYYY-MM` of the user's local booking date: the total this transaction is counted in. */
  readonly month: string;
  readonly amount: { readonly minor: number; readonly currency: string };
  readonly merchant: { readonly name: string; readonly mcc?: string };
  readonly category: Category;
  /** Probability per category, in the order of `CATEGORIES`. */
  readonly categoryScores: readonly number[];
  readonly anomalyScore: number;
  readonly isAnomaly: boolean;
  readonly models: { readonly categoriser: string; readonly anomaly: string };
  readonly contentHash: string;
  /** When the crawler accepted the line: the start of the latency clock. */
  readonly ingestedAt: string;
  readonly scoredAt: string;
  /** When the projector wrote this item (the start of the committing attempt): the end of the clock. */
  readonly viewedAt: string;
  /** Epoch seconds; absent when the view keeps items for ever. */
  readonly expiresAt?: number;
}

/** The compact copy of a flagged transaction, read by "anomalies of a user". */
export interface AnomalyItem extends ViewKey {
  readonly kind: typeof ItemKind.Anomaly;
  readonly transactionId: string;
  readonly userId: string;
  readonly bookedAt: string;
  readonly bookedAtUtc: string;
  readonly amount: { readonly minor: number; readonly currency: string };
  readonly merchant: { readonly name: string; readonly mcc?: string };
  readonly category: Category;
  readonly anomalyScore: number;
  readonly anomalyModel: string;
  readonly viewedAt: string;
  readonly expiresAt?: number;
}

/** Sum and count of one user's transactions in one local month, category and currency. */
export interface TotalItem extends ViewKey {
  readonly kind: typeof ItemKind.Total;
  readonly userId: string;
  readonly month: string;
  readonly category: Category;
  readonly currency: string;
  /** Signed sum of `amount.minor` (spending is negative, as the broker sends it). */
  readonly sumMinor: number;
  readonly txnCount: number;
  readonly updatedAt: string;
  readonly expiresAt?: number;
}

/** The idempotency marker: this transactionId is in the view, at `pk = USER#userId, sk = txnSk`. */
export interface MarkerItem extends ViewKey {
  readonly kind: typeof ItemKind.Marker;
  readonly transactionId: string;
  readonly userId: string;
  readonly txnSk: string;
  readonly contentHash: string;
  readonly viewedAt: string;
  readonly expiresAt?: number;
}

export type ViewItem = TransactionItem | AnomalyItem | TotalItem | MarkerItem;

// ISO 8601 with a mandatory offset, as the broker contract requires (shared/schemas/transaction.ts).
const ISO_WITH_OFFSET = /^(\d{4})-(\d{2})-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** True when `bookedAt` is an ISO 8601 date-time with an offset that names a real instant. */
export function isBookedAt(bookedAt: string): boolean {
  return ISO_WITH_OFFSET.test(bookedAt) && !Number.isNaN(Date.parse(bookedAt));
}

/** True for `YYYY-MM` with a real month. */
export function isMonth(month: string): boolean {
  return MONTH.test(month);
}

/**
 * `YYYY-MM` of the user's local booking date. The date-time part of an ISO string with an offset
 * IS the local time at that offset, so no conversion is needed (and none may happen: converting
 * `2026-11-30T23:30:00-05:00` to UTC would move it to December).
 */
export function localMonth(bookedAt: string): string {
  const match = ISO_WITH_OFFSET.exec(bookedAt);
  if (match === null) throw new RangeError(`bookedAt '${bookedAt}' is not ISO 8601 with an offset`);
  return `${match[1]}-${match[2]}`;
}

/** The booking instant in UTC with millisecond precision: the sortable time part of the keys. */
export function utcInstant(bookedAt: string): string {
  const ms = Date.parse(bookedAt);
  if (Number.isNaN(ms)) throw new RangeError(`bookedAt '${bookedAt}' is not a date`);
  return new Date(ms).toISOString();
}

/** The month before `YYYY-MM`. */
export function previousMonth(month: string): string {
  const match = MONTH.exec(month);
  if (match === null) throw new RangeError(`'${month}' is not YYYY-MM`);
  const index = Number(match[1]) * 12 + Number(match[2]) - 2;
  return `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/**
 * `YYYY-MM` of an instant seen at a UTC offset in minutes (east positive), e.g. "this month" for a
 * user whose latest transaction was booked at `+01:00`.
 */
export function monthAt(instant: Date, offsetMinutes: number): string {
  return new Date(instant.getTime() + offsetMinutes * 60_000).toISOString().slice(0, 7);
}

/** The UTC offset of a `bookedAt` string in minutes (east positive); 0 for `Z`. */
export function offsetMinutes(bookedAt: string): number {
  const match = /([+-])(\d{2}):(\d{2})$/.exec(bookedAt);
  if (match === null) return 0;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return match[1] === '-' ? -minutes : minutes;
}

export const userPk = (userId: string): string => `${KeyPrefix.User}${userId}`;
export const transactionSk = (bookedAt: string, transactionId: string): string => `${KeyPrefix.Transaction}${utcInstant(bookedAt)}#${transactionId}`;
export const anomalySk = (bookedAt: string, transactionId: string): string => `${KeyPrefix.Anomaly}${utcInstant(bookedAt)}#${transactionId}`;
export const totalSk = (month: string, category: string, currency: string): string => `${KeyPrefix.Total}${month}#${category}#${currency}`;
/** Sort-key prefix of one month's totals of a user. */
export const totalMonthPrefix = (month: string): string => `${KeyPrefix.Total}${month}#`;
export const markerKey = (transactionId: string): ViewKey => ({ pk: `${KeyPrefix.Marker}${transactionId}`, sk: MARKER_SK });

/** Where one result is counted: the key of its total item. */
export function totalKeyOf(result: ScoredResult): ViewKey {
  return { pk: userPk(result.userId), sk: totalSk(localMonth(result.bookedAt), result.category, result.amount.currency) };
}

/** When items written for a result expire; undefined keeps them for ever. */
export interface Expiry {
  readonly expiresAt?: number;
}

/**
 * Epoch seconds at which a month's items expire: `retentionDays` after the end of the month, the
 * same for the transactions, markers, anomalies and totals of that month, so a total never
 * outlives the items it counts nor the reverse. 0 (or less) keeps items for ever.
 */
export function monthExpiry(month: string, retentionDays: number): Expiry {
  if (retentionDays <= 0) return {};
  const [year, mon] = month.split('-').map(Number) as [number, number];
  const endOfMonthMs = Date.UTC(year, mon, 1) + 14 * 3_600_000; // +14 h: the last local midnight anywhere
  return { expiresAt: Math.floor(endOfMonthMs / 1000) + retentionDays * 86_400 };
}

/** The transaction item for a scored result. */
export function toTransactionItem(result: ScoredResult, viewedAt: string, expiry: Expiry = {}): TransactionItem {
  return {
    pk: userPk(result.userId),
    sk: transactionSk(result.bookedAt, result.transactionId),
    kind: ItemKind.Transaction,
    transactionId: result.transactionId,
    userId: result.userId,
    accountId: result.accountId,
    bookedAt: result.bookedAt,
    bookedAtUtc: utcInstant(result.bookedAt),
    month: localMonth(result.bookedAt),
    amount: { minor: result.amount.minor, currency: result.amount.currency },
    merchant: result.merchant.mcc === undefined ? { name: result.merchant.name } : { name: result.merchant.name, mcc: result.merchant.mcc },
    category: result.category,
    categoryScores: [...result.categoryScores],
    anomalyScore: result.anomalyScore,
    isAnomaly: result.isAnomaly,
    models: { categoriser: result.models.categoriser, anomaly: result.models.anomaly },
    contentHash: result.contentHash,
    ingestedAt: result.ingestedAt,
    scoredAt: result.scoredAt,
    viewedAt,
    ...expiry,
  };
}

/** The anomaly copy of a flagged result (callers write it only when `isAnomaly`). */
export function toAnomalyItem(result: ScoredResult, viewedAt: string, expiry: Expiry = {}): AnomalyItem {
  return {
    pk: userPk(result.userId),
    sk: anomalySk(result.bookedAt, result.transactionId),
    kind: ItemKind.Anomaly,
    transactionId: result.transactionId,
    userId: result.userId,
    bookedAt: result.bookedAt,
    bookedAtUtc: utcInstant(result.bookedAt),
    amount: { minor: result.amount.minor, currency: result.amount.currency },
    merchant: result.merchant.mcc === undefined ? { name: result.merchant.name } : { name: result.merchant.name, mcc: result.merchant.mcc },
    category: result.category,
    anomalyScore: result.anomalyScore,
    anomalyModel: result.models.anomaly,
    viewedAt,
    ...expiry,
  };
}

export function toMarkerItem(result: ScoredResult, viewedAt: string, expiry: Expiry = {}): MarkerItem {
  return {
    ...markerKey(result.transactionId),
    kind: ItemKind.Marker,
    transactionId: result.transactionId,
    userId: result.userId,
    txnSk: transactionSk(result.bookedAt, result.transactionId),
    contentHash: result.contentHash,
    viewedAt,
    ...expiry,
  };
}

/** How a set of results changes one total item: what the writer `ADD`s. */
export interface TotalDelta extends ViewKey {
  readonly userId: string;
  readonly month: string;
  readonly category: Category;
  readonly currency: string;
  readonly sumMinor: number;
  readonly txnCount: number;
}

/** Sums results per total item, in first-seen order. */
export function totalDeltas(results: readonly ScoredResult[]): TotalDelta[] {
  const deltas = new Map<string, TotalDelta>();
  for (const result of results) {
    const key = totalKeyOf(result);
    const id = `${key.pk}\u0000${key.sk}`;
    const before = deltas.get(id);
    deltas.set(id, {
      ...key,
      userId: result.userId,
      month: localMonth(result.bookedAt),
      category: result.category,
      currency: result.amount.currency,
      sumMinor: (before?.sumMinor ?? 0) + result.amount.minor,
      txnCount: (before?.txnCount ?? 0) + 1,
    });
  }
  return [...deltas.values()];
}

/** The kind of a plain (unmarshalled) view item, from its `kind` attribute; undefined if foreign. */
export function itemKind(item: Record<string, unknown>): ItemKind | undefined {
  const kind = item['kind'];
  return (Object.values(ItemKind) as unknown[]).includes(kind) ? (kind as ItemKind) : undefined;
}

/** Narrows plain items read from the table; foreign items (no known `kind`) are left out. */
export function classifyItems(items: readonly Record<string, unknown>[]): ViewContents {
  const contents: { transactions: TransactionItem[]; anomalies: AnomalyItem[]; totals: TotalItem[]; markers: MarkerItem[] } = { transactions: [], anomalies: [], totals: [], markers: [] };
  for (const item of items) {
    switch (itemKind(item)) {
      case ItemKind.Transaction:
        contents.transactions.push(item as unknown as TransactionItem);
        break;
      case ItemKind.Anomaly:
        contents.anomalies.push(item as unknown as AnomalyItem);
        break;
      case ItemKind.Total:
        contents.totals.push(item as unknown as TotalItem);
        break;
      case ItemKind.Marker:
        contents.markers.push(item as unknown as MarkerItem);
        break;
      default:
        break;
    }
  }
  return contents;
}

/** A whole view (or one user's part of it), by kind. */
export interface ViewContents {
  readonly transactions: readonly TransactionItem[];
  readonly anomalies: readonly AnomalyItem[];
  readonly totals: readonly TotalItem[];
  readonly markers: readonly MarkerItem[];
}

/** A total whose stored figures differ from the sum of the transaction items it covers. */
export interface TotalMismatch {
  readonly pk: string;
  readonly sk: string;
  readonly stored: { readonly sumMinor: number; readonly txnCount: number };
  readonly expected: { readonly sumMinor: number; readonly txnCount: number };
}

/**
 * Checks every total against the transaction items of the view (what `doubleCounted` counts):
 * a total that differs, or a group of transactions with no total, is a mismatch.
 */
export function auditTotals(contents: ViewContents): TotalMismatch[] {
  const expected = new Map<string, { pk: string; sk: string; sumMinor: number; txnCount: number }>();
  for (const txn of contents.transactions) {
    const sk = totalSk(txn.month, txn.category, txn.amount.currency);
    const id = `${txn.pk}\u0000${sk}`;
    const before = expected.get(id) ?? { pk: txn.pk, sk, sumMinor: 0, txnCount: 0 };
    expected.set(id, { ...before, sumMinor: before.sumMinor + txn.amount.minor, txnCount: before.txnCount + 1 });
  }
  const mismatches: TotalMismatch[] = [];
  for (const total of contents.totals) {
    const id = `${total.pk}\u0000${total.sk}`;
    const want = expected.get(id) ?? { sumMinor: 0, txnCount: 0 };
    expected.delete(id);
    if (want.sumMinor !== total.sumMinor || want.txnCount !== total.txnCount) {
      mismatches.push({ pk: total.pk, sk: total.sk, stored: { sumMinor: total.sumMinor, txnCount: total.txnCount }, expected: { sumMinor: want.sumMinor, txnCount: want.txnCount } });
    }
  }
  for (const missing of expected.values()) {
    mismatches.push({ pk: missing.pk, sk: missing.sk, stored: { sumMinor: 0, txnCount: 0 }, expected: { sumMinor: missing.sumMinor, txnCount: missing.txnCount } });
  }
  return mismatches;
}

/** Ingest-to-view latency of one transaction item, in ms (`viewedAt - ingestedAt`). */
export function latencyMs(item: Pick<TransactionItem, 'ingestedAt' | 'viewedAt'>): number {
  return Date.parse(item.viewedAt) - Date.parse(item.ingestedAt);
}
