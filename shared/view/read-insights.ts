import { formatMinor } from '../money.js';
import { currentTransactions, monthTotals, newestFirst } from './collapse.js';
import type { MonthTotal } from './collapse.js';
import { InvalidRequestError } from './errors.js';
import { DEFAULT_MONTHS, DEFAULT_RECENT_LIMIT, MAX_MONTHS, MAX_RECENT_LIMIT, USER_ID } from './insights.js';
import type { AmountView, CategoryTotal, InsightsRequest, UserInsights } from './insights.js';
import { queryMonth } from './month-query.js';
import type { ViewSource } from './month-query.js';
import { isMonth, monthAt, monthsAnywhere, monthsBefore, offsetMinutes } from './months.js';
import type { LiveVersion, ViewVersion } from './version.js';

/**
 * How far back recent transactions are looked for when the months of totals hold fewer than asked:
 * a year, so a user who has been quiet still sees their last transactions.
 */
export const RECENT_LOOKBACK_MONTHS = 12;

export interface ReadInsightsOptions extends ViewSource {
  /** "Now", for this month. @default () => new Date() */
  readonly clock?: () => Date;
}

function amount(minor: number, currency: string): AmountView {
  return { minor, currency, value: formatMinor({ minor, currency }) };
}

function checkCount(name: string, value: number | undefined, fallback: number, max: number): number {
  const count = value ?? fallback;
  if (!Number.isInteger(count) || count < 1 || count > max) throw new InvalidRequestError(name, `must be a whole number from 1 to ${max}`);
  return count;
}

function sortTotals(totals: readonly MonthTotal[]): CategoryTotal[] {
  return [...totals]
    .sort((a, b) => a.currency.localeCompare(b.currency) || a.sumMinor - b.sumMinor || a.category.localeCompare(b.category))
    .map((t) => ({ category: t.category, currency: t.currency, sum: amount(t.sumMinor, t.currency), count: t.count }));
}

/**
 * The read model: a user's insights from the view, exactly as the page shows them. Reads whole
 * local months (one Query each, in parallel): the months whose totals are asked for, which also
 * give the recent transactions and anomalies (with an earlier `month` asked for, the month after it
 * too, where a posted transaction may replace one of its pending ones), and earlier months only
 * when those hold fewer recent transactions than asked (up to a year back). Every version read is collapsed by
 * `currentTransactions` (highest revision per transaction, removals and replaced pending ones
 * gone) and the totals are summed from what remains, so a total always equals the transactions
 * shown and counts each once. Returns undefined when the user has no transaction in the last
 * year; throws `InvalidRequestError` for a malformed id, count or month.
 *
 * Cost: every version of the months read, at 0.5 RRU per 4 KB (eventually consistent), about
 * 5 RRU for two months of a user with 60 transactions a month.
 *
 * @example
 * const insights = await readInsights({ dynamodb, tableName: env.VIEW_TABLE_NAME }, { userId: 'user-1' });
 */
export async function readInsights(options: ReadInsightsOptions, request: InsightsRequest): Promise<UserInsights | undefined> {
  if (!USER_ID.test(request.userId)) throw new InvalidRequestError('userId', 'must be 1 to 64 characters of [A-Za-z0-9_-]');
  const limit = checkCount('limit', request.limit, DEFAULT_RECENT_LIMIT, MAX_RECENT_LIMIT);
  const anomalyLimit = checkCount('anomalyLimit', request.anomalyLimit, DEFAULT_RECENT_LIMIT, MAX_RECENT_LIMIT);
  const monthCount = checkCount('months', request.months, DEFAULT_MONTHS, MAX_MONTHS);
  if (request.month !== undefined && !isMonth(request.month)) throw new InvalidRequestError('month', 'must be YYYY-MM');

  const now = (options.clock ?? (() => new Date()))();
  // Until the user's offset is known, "this month" is any month some offset is in right now.
  const candidates = monthsAnywhere(now);
  const latestCandidate = candidates[0] as string;
  const earliestCandidate = candidates[candidates.length - 1] as string;
  const window = new Set<string>([...candidates, ...Array.from({ length: monthCount - 1 }, (_, i) => monthsBefore(earliestCandidate, i + 1))]);
  if (request.month !== undefined) window.add(request.month);
  const shown = new Set(window);
  // A card payment authorised at a month's end is often posted in the next month, under a new id:
  // reading that month too hides the pending one as soon as the posted one is in, not only once
  // the pending one's own removal arrives (the default window already holds both months).
  const following = request.month === undefined ? undefined : monthsBefore(request.month, -1);
  if (following !== undefined && following <= latestCandidate) window.add(following);

  const read = new Map<string, ViewVersion[]>();
  const readMonths = async (months: readonly string[]): Promise<void> => {
    const results = await Promise.all(months.map((month) => queryMonth(options, request.userId, month)));
    months.forEach((month, i) => read.set(month, results[i] ?? []));
  };
  await readMonths([...window]);
  let current = currentTransactions([...read.values()].flat());
  const recentCount = (): number => current.filter((v) => v.month <= latestCandidate).length;
  if (recentCount() < limit) {
    const earlier = Array.from({ length: RECENT_LOOKBACK_MONTHS }, (_, i) => monthsBefore(latestCandidate, i + 1)).filter((m) => !read.has(m));
    if (earlier.length > 0) {
      await readMonths(earlier);
      current = currentTransactions([...read.values()].flat());
    }
  }

  const ordered = [...current].sort(newestFirst);
  const latest = ordered.find((v) => v.month <= latestCandidate) ?? ordered[0];
  if (latest === undefined) return undefined;
  const thisMonth = monthAt(now, offsetMinutes(latest.bookedAt));
  const months = request.month !== undefined ? [request.month] : Array.from({ length: monthCount }, (_, i) => monthsBefore(thisMonth, i));
  const totals = monthTotals(current);
  return {
    userId: request.userId,
    months: months.map((month) => ({ month, totals: sortTotals(totals.filter((t) => t.month === month)) })),
    recent: ordered.slice(0, limit).map(recentOf),
    anomalies: ordered
      .filter((v) => v.isAnomaly && shown.has(v.month))
      .slice(0, anomalyLimit)
      .map((v) => ({ transactionId: v.transactionId, bookedAt: v.bookedAt, amount: amount(v.amount.minor, v.amount.currency), merchant: v.merchant, category: v.category, anomalyScore: v.anomalyScore })),
    generatedAt: now.toISOString(),
  };
}

function recentOf(v: LiveVersion): UserInsights['recent'][number] {
  return {
    transactionId: v.transactionId,
    accountId: v.accountId,
    bookedAt: v.bookedAt,
    amount: amount(v.amount.minor, v.amount.currency),
    merchant: v.merchant,
    category: v.category,
    categoryScore: v.categoryScore,
    anomalyScore: v.anomalyScore,
    isAnomaly: v.isAnomaly,
    revision: v.revision,
    ...(v.pendingTransactionId === undefined ? {} : { replacesPendingTransactionId: v.pendingTransactionId }),
    ingestedAt: v.ingestedAt,
    viewedAt: v.viewedAt,
  };
}
