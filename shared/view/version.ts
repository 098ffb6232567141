import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { CATEGORIES, isCategory } from '../schemas/categories.js';
import type { Category } from '../schemas/categories.js';
import type { ScoredResult } from '../schemas/scored-result.js';
import { ChangeKind, changeOf } from '../schemas/transaction-change.js';
import type { VersionHead } from './collapse.js';
import { CorruptViewItemError } from './errors.js';
import { parseUserMonthPk, parseVersionSk, userMonthPk, versionSk } from './keys.js';
import { localMonth, monthEndEverywhere } from './months.js';

/**
 * One version of one transaction as the view stores it: the projector writes one item per version
 * (see `keys.ts`), the read model collapses them (see `collapse.ts`). A version is written whole
 * or not at all and never changed afterwards, except that writing it again (a replay) sets
 * `viewedAt` anew.
 */
interface VersionBase {
  readonly userId: string;
  /** `YYYY-MM` of the user's local booking date: the month whose totals count this version. */
  readonly month: string;
  readonly transactionId: string;
  /** Orders the versions of one transaction: the highest is the one shown. */
  readonly revision: number;
  /** As the broker sent it, offset included. */
  readonly bookedAt: string;
  /** When the crawler accepted the version: the start of the latency clock. */
  readonly ingestedAt: string;
  /** When the projector last wrote this version: the end of the latency clock. */
  readonly viewedAt: string;
  /** Epoch seconds (the table's TTL); absent when the view keeps items for ever. */
  readonly expiresAt?: number;
}

/** An added or modified version: the transaction as scored. */
export interface LiveVersion extends VersionBase {
  readonly change: typeof ChangeKind.Added | typeof ChangeKind.Modified;
  /** On a posted transaction: the pending one it replaces, hidden while this one stands. */
  readonly pendingTransactionId?: string;
  readonly accountId: string;
  readonly amount: { readonly minor: number; readonly currency: string };
  readonly merchant: { readonly name: string; readonly mcc?: string };
  readonly category: Category;
  /** The categoriser's probability for `category`. */
  readonly categoryScore: number;
  readonly anomalyScore: number;
  readonly isAnomaly: boolean;
  readonly models: { readonly categoriser: string; readonly anomaly: string };
  readonly contentHash: string;
  readonly scoredAt: string;
}

/** A removal: the transaction is gone from the view from this revision on. */
export interface RemovedVersion extends VersionBase {
  readonly change: typeof ChangeKind.Removed;
}

export type ViewVersion = LiveVersion | RemovedVersion;

/** Attribute names of a version item; expressions alias them all (several are reserved words). */
export const Attr = {
  pk: 'pk',
  sk: 'sk',
  change: 'change',
  pendingTransactionId: 'pendingTransactionId',
  accountId: 'accountId',
  bookedAt: 'bookedAt',
  amountMinor: 'amountMinor',
  currency: 'currency',
  merchant: 'merchant',
  mcc: 'mcc',
  category: 'category',
  categoryScore: 'categoryScore',
  anomalyScore: 'anomalyScore',
  isAnomaly: 'isAnomaly',
  categoriser: 'categoriser',
  anomalyModel: 'anomalyModel',
  contentHash: 'contentHash',
  ingestedAt: 'ingestedAt',
  scoredAt: 'scoredAt',
  viewedAt: 'viewedAt',
  expiresAt: 'expiresAt',
} as const;

/** The version a scored result carries (its change envelope, or `added` at revision 0 without one). */
export function versionOf(result: ScoredResult, viewedAt: string, expiresAt?: number): ViewVersion {
  const change = changeOf(result);
  const base = {
    userId: result.userId,
    month: localMonth(result.bookedAt),
    transactionId: result.transactionId,
    revision: change.revision,
    bookedAt: result.bookedAt,
    ingestedAt: result.ingestedAt,
    viewedAt,
    ...(expiresAt === undefined ? {} : { expiresAt }),
  };
  if (change.kind === ChangeKind.Removed) return { ...base, change: ChangeKind.Removed };
  const categoryScore = result.categoryScores[CATEGORIES.indexOf(result.category)] ?? 0;
  return {
    ...base,
    change: change.kind,
    ...(change.pendingTransactionId === undefined ? {} : { pendingTransactionId: change.pendingTransactionId }),
    accountId: result.accountId,
    amount: { minor: result.amount.minor, currency: result.amount.currency },
    merchant: result.merchant.mcc === undefined ? { name: result.merchant.name } : { name: result.merchant.name, mcc: result.merchant.mcc },
    category: result.category,
    categoryScore,
    anomalyScore: result.anomalyScore,
    isAnomaly: result.isAnomaly,
    models: { categoriser: result.models.categoriser, anomaly: result.models.anomaly },
    contentHash: result.contentHash,
    scoredAt: result.scoredAt,
  };
}

/** The key of a version's item. */
export function versionKey(version: Pick<ViewVersion, 'userId' | 'month' | 'bookedAt' | 'transactionId' | 'revision'>): { readonly pk: string; readonly sk: string } {
  return { pk: userMonthPk(version.userId, version.month), sk: versionSk(version.bookedAt, version.transactionId, version.revision) };
}

const s = (value: string): AttributeValue => ({ S: value });
const n = (value: number): AttributeValue => ({ N: String(value) });

/**
 * The item of a version in DynamoDB's wire form, written by hand rather than by the SDK's
 * marshaller (the projector's hot path). Only what the keys do not already say is stored, so an
 * item stays under 1 KB (1 WRU) even with 64-character ids and a 200-character merchant name.
 */
export function toItem(version: ViewVersion): Record<string, AttributeValue> {
  const { pk, sk } = versionKey(version);
  const item: Record<string, AttributeValue> = {
    [Attr.pk]: s(pk),
    [Attr.sk]: s(sk),
    [Attr.change]: s(version.change),
    [Attr.bookedAt]: s(version.bookedAt),
    [Attr.ingestedAt]: s(version.ingestedAt),
    [Attr.viewedAt]: s(version.viewedAt),
  };
  if (version.expiresAt !== undefined) item[Attr.expiresAt] = n(version.expiresAt);
  if (version.change === ChangeKind.Removed) return item;
  if (version.pendingTransactionId !== undefined) item[Attr.pendingTransactionId] = s(version.pendingTransactionId);
  item[Attr.accountId] = s(version.accountId);
  item[Attr.amountMinor] = n(version.amount.minor);
  item[Attr.currency] = s(version.amount.currency);
  item[Attr.merchant] = s(version.merchant.name);
  if (version.merchant.mcc !== undefined) item[Attr.mcc] = s(version.merchant.mcc);
  item[Attr.category] = s(version.category);
  item[Attr.categoryScore] = n(version.categoryScore);
  item[Attr.anomalyScore] = n(version.anomalyScore);
  item[Attr.isAnomaly] = { BOOL: version.isAnomaly };
  item[Attr.categoriser] = s(version.models.categoriser);
  item[Attr.anomalyModel] = s(version.models.anomaly);
  item[Attr.contentHash] = s(version.contentHash);
  item[Attr.scoredAt] = s(version.scoredAt);
  return item;
}

/**
 * The item of the version a scored result carries: the same item as
 * `toItem(versionOf(result, viewedAt, expiresAt))`, built straight from the result without the
 * intermediate version object (the projector's hot path: that object and its spreads were most of
 * the projector's own CPU per record).
 */
export function itemOf(result: ScoredResult, viewedAt: string, expiresAt?: number): Record<string, AttributeValue> {
  const change = result.change;
  const kind = change?.kind ?? ChangeKind.Added;
  const item: Record<string, AttributeValue> = {
    [Attr.pk]: { S: userMonthPk(result.userId, localMonth(result.bookedAt)) },
    [Attr.sk]: { S: versionSk(result.bookedAt, result.transactionId, change?.revision ?? 0) },
    [Attr.change]: { S: kind },
    [Attr.bookedAt]: { S: result.bookedAt },
    [Attr.ingestedAt]: { S: result.ingestedAt },
    [Attr.viewedAt]: { S: viewedAt },
  };
  if (expiresAt !== undefined) item[Attr.expiresAt] = { N: String(expiresAt) };
  if (kind === ChangeKind.Removed) return item;
  if (change?.pendingTransactionId !== undefined) item[Attr.pendingTransactionId] = { S: change.pendingTransactionId };
  item[Attr.accountId] = { S: result.accountId };
  item[Attr.amountMinor] = { N: String(result.amount.minor) };
  item[Attr.currency] = { S: result.amount.currency };
  item[Attr.merchant] = { S: result.merchant.name };
  if (result.merchant.mcc !== undefined) item[Attr.mcc] = { S: result.merchant.mcc };
  item[Attr.category] = { S: result.category };
  item[Attr.categoryScore] = { N: String(result.categoryScores[CATEGORIES.indexOf(result.category)] ?? 0) };
  item[Attr.anomalyScore] = { N: String(result.anomalyScore) };
  item[Attr.isAnomaly] = { BOOL: result.isAnomaly };
  item[Attr.categoriser] = { S: result.models.categoriser };
  item[Attr.anomalyModel] = { S: result.models.anomaly };
  item[Attr.contentHash] = { S: result.contentHash };
  item[Attr.scoredAt] = { S: result.scoredAt };
  return item;
}

/**
 * The version an item holds, or undefined for an item whose keys the view did not write (another
 * kind of item sharing the table). Throws `CorruptViewItemError` for an item with the view's keys
 * but missing or malformed attributes.
 */
export function fromItem(item: Record<string, AttributeValue>): ViewVersion | undefined {
  const pk = item[Attr.pk]?.S;
  const sk = item[Attr.sk]?.S;
  if (pk === undefined || sk === undefined) return undefined;
  const partition = parseUserMonthPk(pk);
  const sort = parseVersionSk(sk);
  if (partition === undefined || sort === undefined) return undefined;
  const key = { pk, sk };
  const str = (name: string): string => {
    const value = item[name]?.S;
    if (value === undefined) throw new CorruptViewItemError(key, `${name} is missing or not a string`);
    return value;
  };
  const num = (name: string): number => {
    const value = item[name]?.N;
    const parsed = value === undefined ? Number.NaN : Number(value);
    if (!Number.isFinite(parsed)) throw new CorruptViewItemError(key, `${name} is missing or not a number`);
    return parsed;
  };
  const change = str(Attr.change);
  const expires = item[Attr.expiresAt]?.N;
  const base = {
    userId: partition.userId,
    month: partition.month,
    transactionId: sort.transactionId,
    revision: sort.revision,
    bookedAt: str(Attr.bookedAt),
    ingestedAt: str(Attr.ingestedAt),
    viewedAt: str(Attr.viewedAt),
    ...(expires === undefined ? {} : { expiresAt: Number(expires) }),
  };
  if (change === ChangeKind.Removed) return { ...base, change };
  if (change !== ChangeKind.Added && change !== ChangeKind.Modified) throw new CorruptViewItemError(key, `change '${change}' is not added, modified or removed`);
  const category = str(Attr.category);
  if (!isCategory(category)) throw new CorruptViewItemError(key, `category '${category}' is not one of the categoriser's`);
  const isAnomaly = item[Attr.isAnomaly]?.BOOL;
  if (isAnomaly === undefined) throw new CorruptViewItemError(key, `${Attr.isAnomaly} is missing or not a boolean`);
  const pending = item[Attr.pendingTransactionId]?.S;
  const mcc = item[Attr.mcc]?.S;
  return {
    ...base,
    change,
    ...(pending === undefined ? {} : { pendingTransactionId: pending }),
    accountId: str(Attr.accountId),
    amount: { minor: num(Attr.amountMinor), currency: str(Attr.currency) },
    merchant: mcc === undefined ? { name: str(Attr.merchant) } : { name: str(Attr.merchant), mcc },
    category,
    categoryScore: num(Attr.categoryScore),
    anomalyScore: num(Attr.anomalyScore),
    isAnomaly,
    models: { categoriser: str(Attr.categoriser), anomaly: str(Attr.anomalyModel) },
    contentHash: str(Attr.contentHash),
    scoredAt: str(Attr.scoredAt),
  };
}

/**
 * Epoch seconds at which a month's versions expire: `retentionDays` after the month has ended at
 * every offset, the same for every version of that month. 0 (or less) keeps them for ever.
 */
export function monthExpiry(month: string, retentionDays: number): number | undefined {
  if (retentionDays <= 0) return undefined;
  return monthEndEverywhere(month) + Math.round(retentionDays * 86_400);
}

/** Ingest-to-view latency of one version, in ms (`viewedAt - ingestedAt`). */
export function latencyMs(version: Pick<VersionBase, 'ingestedAt' | 'viewedAt'>): number {
  return Date.parse(version.viewedAt) - Date.parse(version.ingestedAt);
}

/** The attributes `headOf` needs: a Scan or Query projecting only these reads the head of every version. */
export const HEAD_ATTRIBUTES = [Attr.pk, Attr.sk, Attr.change, Attr.ingestedAt, Attr.pendingTransactionId, Attr.contentHash] as const;

/**
 * The head of the version an item holds (what deciding which version stands needs, plus its user
 * and month), from an item read with `HEAD_ATTRIBUTES` or whole; undefined for a foreign item.
 */
export function headOf(item: Record<string, AttributeValue>): (VersionHead & { readonly userId: string; readonly month: string }) | undefined {
  const pk = item[Attr.pk]?.S;
  const sk = item[Attr.sk]?.S;
  const partition = pk === undefined ? undefined : parseUserMonthPk(pk);
  const sort = sk === undefined ? undefined : parseVersionSk(sk);
  if (partition === undefined || sort === undefined) return undefined;
  const change = item[Attr.change]?.S;
  if (change !== ChangeKind.Added && change !== ChangeKind.Modified && change !== ChangeKind.Removed) {
    throw new CorruptViewItemError({ pk: pk as string, sk: sk as string }, `change '${String(change)}' is not added, modified or removed`);
  }
  const pending = item[Attr.pendingTransactionId]?.S;
  const hash = item[Attr.contentHash]?.S;
  return {
    userId: partition.userId,
    month: partition.month,
    transactionId: sort.transactionId,
    revision: sort.revision,
    change,
    ingestedAt: item[Attr.ingestedAt]?.S ?? '',
    ...(pending === undefined ? {} : { pendingTransactionId: pending }),
    ...(hash === undefined ? {} : { contentHash: hash }),
  };
}
