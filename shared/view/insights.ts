/**
 * What the read model answers for one user: the contract between the view and everything that
 * shows it (the API and its page, `insights view`, the local runner's measurement, the tests).
 * Fields may be added; none is removed or changes meaning without a new version of the API.
 */

/** User ids follow the broker's rule for ids: 1 to 64 characters of `[A-Za-z0-9_-]`. */
export const USER_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** Recent transactions (and anomalies) returned when the caller does not say. */
export const DEFAULT_RECENT_LIMIT = 20;
/** Most recent transactions (and anomalies) one request may ask for. */
export const MAX_RECENT_LIMIT = 100;
/** Months of totals returned when the caller does not say: this month and the last. */
export const DEFAULT_MONTHS = 2;
/** Most months of totals one request may ask for: one Query each. */
export const MAX_MONTHS = 12;

export interface InsightsRequest {
  readonly userId: string;
  /** Recent transactions to return, newest first. @default 20 (at most 100) */
  readonly limit?: number;
  /** `YYYY-MM`: totals of this month only (recent transactions and anomalies stay the newest). */
  readonly month?: string;
  /** Months of totals, this month first. @default 2 (at most 12); ignored with `month` */
  readonly months?: number;
  /** Anomalies to return, newest first. @default 20 (at most 100) */
  readonly anomalyLimit?: number;
}

/** An amount as the API shows it: exact minor units, and the decimal string people read. */
export interface AmountView {
  readonly minor: number;
  readonly currency: string;
  readonly value: string;
}

export interface RecentTransaction {
  readonly transactionId: string;
  readonly accountId: string;
  readonly bookedAt: string;
  readonly amount: AmountView;
  readonly merchant: { readonly name: string; readonly mcc?: string };
  readonly category: string;
  /** The categoriser's probability for `category`. */
  readonly categoryScore: number;
  readonly anomalyScore: number;
  readonly isAnomaly: boolean;
  /** The version shown (0 for a transaction never changed). */
  readonly revision: number;
  /** For a posted transaction: the pending one it replaced. */
  readonly replacesPendingTransactionId?: string;
  readonly ingestedAt: string;
  readonly viewedAt: string;
}

export interface CategoryTotal {
  readonly category: string;
  readonly currency: string;
  readonly sum: AmountView;
  readonly count: number;
}

export interface MonthTotals {
  readonly month: string;
  /** By currency, then by spending (most negative first). */
  readonly totals: readonly CategoryTotal[];
}

export interface FlaggedAnomaly {
  readonly transactionId: string;
  readonly bookedAt: string;
  readonly amount: AmountView;
  readonly merchant: { readonly name: string; readonly mcc?: string };
  readonly category: string;
  readonly anomalyScore: number;
}

/** What `GET /users/:id/insights` and `insights view` return. */
export interface UserInsights {
  readonly userId: string;
  /**
   * Month totals, this month first. Months are the user's local months; "this month" is taken at
   * the offset of their latest transaction.
   */
  readonly months: readonly MonthTotals[];
  /** Newest first. */
  readonly recent: readonly RecentTransaction[];
  /** Flagged transactions of the months read, newest first. */
  readonly anomalies: readonly FlaggedAnomaly[];
  readonly generatedAt: string;
}
