import type { Category } from '../schemas/categories.js';
import { ChangeKind } from '../schemas/transaction-change.js';
import type { ChangeKindName } from '../schemas/transaction-change.js';
import type { LiveVersion, ViewVersion } from './version.js';

/** What deciding which version stands needs of a version (a whole `ViewVersion`, or its head alone when counting). */
export interface VersionHead {
  readonly transactionId: string;
  readonly revision: number;
  readonly change: ChangeKindName;
  readonly ingestedAt: string;
  readonly pendingTransactionId?: string;
  readonly contentHash?: string;
}

/** A version that is not a removal. */
export type Shown<V extends VersionHead> = Exclude<V, { readonly change: typeof ChangeKind.Removed }>;

/**
 * Whether version `a` stands over version `b` of the same transaction: the higher revision; at
 * equal revisions a live version over a removal (a removal at the same revision is the crawler
 * moving the transaction to another month: the old month forgets it, the new one shows it), then
 * the copy ingested first (the first copy stands, as the crawler's duplicate rule says), then the
 * content hash, so every reader picks the same one whatever order it met them in.
 */
export function outranks(a: VersionHead, b: VersionHead): boolean {
  if (a.revision !== b.revision) return a.revision > b.revision;
  const aLive = a.change !== ChangeKind.Removed;
  const bLive = b.change !== ChangeKind.Removed;
  if (aLive !== bLive) return aLive;
  if (a.ingestedAt !== b.ingestedAt) return a.ingestedAt < b.ingestedAt;
  return (a.contentHash ?? '') < (b.contentHash ?? '');
}

/**
 * The transactions the view shows, from the versions it holds (in any order, repeated or not):
 * each transaction at its standing version (see `outranks`), none whose standing version is a
 * removal, and no pending transaction whose posted one stands. Because every version is its own
 * item and this is a pure function of the set of items, a replayed or redelivered version changes
 * nothing, and versions may arrive in any order. Versions of one user are collapsed together (the
 * read model reads one user's months).
 */
export function currentTransactions<V extends VersionHead>(versions: Iterable<V>): Shown<V>[] {
  const standing = new Map<string, V>();
  for (const version of versions) {
    const before = standing.get(version.transactionId);
    if (before === undefined || outranks(version, before)) standing.set(version.transactionId, version);
  }
  const live: Shown<V>[] = [];
  const replaced = new Set<string>();
  for (const version of standing.values()) {
    if (version.change === ChangeKind.Removed) continue;
    live.push(version as Shown<V>);
    if (version.pendingTransactionId !== undefined && version.pendingTransactionId !== version.transactionId) replaced.add(version.pendingTransactionId);
  }
  return replaced.size === 0 ? live : live.filter((version) => !replaced.has(version.transactionId));
}

/** What one user spent or received in one local month, category and currency. */
export interface MonthTotal {
  readonly userId: string;
  readonly month: string;
  readonly category: Category;
  readonly currency: string;
  /** Signed sum of the amounts in minor units (spending is negative, as the broker sends it). */
  readonly sumMinor: number;
  readonly count: number;
}

/** Totals per user, local month, category and currency of the transactions the view shows. */
export function monthTotals(current: Iterable<LiveVersion>): MonthTotal[] {
  const totals = new Map<string, MonthTotal>();
  for (const version of current) {
    const id = `${version.userId}\u0000${version.month}\u0000${version.category}\u0000${version.amount.currency}`;
    const before = totals.get(id);
    totals.set(id, {
      userId: version.userId,
      month: version.month,
      category: version.category,
      currency: version.amount.currency,
      sumMinor: (before?.sumMinor ?? 0) + version.amount.minor,
      count: (before?.count ?? 0) + 1,
    });
  }
  return [...totals.values()];
}

/** Newest booking first, as a month's sort keys read backwards: ties by transaction id, descending. */
export function newestFirst(a: Pick<ViewVersion, 'bookedAt' | 'transactionId'>, b: Pick<ViewVersion, 'bookedAt' | 'transactionId'>): number {
  return Date.parse(b.bookedAt) - Date.parse(a.bookedAt) || (a.transactionId < b.transactionId ? 1 : a.transactionId > b.transactionId ? -1 : 0);
}
