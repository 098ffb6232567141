import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { formatMinor } from '../../shared/money.js';
import { CATEGORIES } from '../../shared/schemas/categories.js';
import { KeyPrefix, isMonth, monthAt, offsetMinutes, previousMonth, totalMonthPrefix, userPk } from '../projector/view-model.js';
import type { AnomalyItem, TotalItem, TransactionItem } from '../projector/view-model.js';
import { InvalidRequestError } from './errors.js';

/** User ids follow the broker's rule for ids: 1 to 64 characters of `[A-Za-z0-9_-]`. */
export const USER_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** Recent transactions returned when the caller does not say. */
export const DEFAULT_RECENT_LIMIT = 20;
/** Most recent transactions (and anomalies) one request may ask for: one Query page of small items. */
export const MAX_RECENT_LIMIT = 100;

export interface InsightsQueryOptions {
  /** Injected, never built here. */
  readonly dynamodb: DynamoDBClient;
  /** The view table (catalog `view`). */
  readonly tableName: string;
  /**
   * Strongly consistent reads: the projector's last write is always seen, at twice the read cost.
   * @default false
   */
  readonly consistentRead?: boolean;
  /** @default () => new Date() */
  readonly clock?: () => Date;
}

export interface InsightsRequest {
  readonly userId: string;
  /** Recent transactions to return, newest first. @default 20 (at most 100) */
  readonly limit?: number;
  /** `YYYY-MM`: totals of this month only. @default the user's current and previous months */
  readonly month?: string;
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
  /** Months are the user's local months; "current" is taken at the offset of their latest transaction. */
  readonly months: readonly MonthTotals[];
  readonly recent: readonly RecentTransaction[];
  readonly anomalies: readonly FlaggedAnomaly[];
  readonly generatedAt: string;
}

function amount(minor: number, currency: string): AmountView {
  return { minor, currency, value: formatMinor({ minor, currency }) };
}

function checkLimit(name: string, value: number | undefined): number {
  const limit = value ?? DEFAULT_RECENT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_RECENT_LIMIT) throw new InvalidRequestError(name, `must be a whole number from 1 to ${MAX_RECENT_LIMIT}`);
  return limit;
}

/**
 * The read path's one query module, shared by the HTTP API and the CLI: a user's recent scored
 * transactions, month totals by category and flagged anomalies, each one Query on the user's
 * partition (see `workers/projector/view-model.ts` for the keys).
 *
 * @example
 * const query = new InsightsQuery({ dynamodb, tableName: env.VIEW_TABLE_NAME });
 * const insights = await query.get({ userId: 'user-1', month: '2026-11' }); // undefined: no such user
 */
export class InsightsQuery {
  private readonly doc: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly consistentRead: boolean;
  private readonly clock: () => Date;

  public constructor(options: InsightsQueryOptions) {
    this.doc = DynamoDBDocumentClient.from(options.dynamodb);
    this.tableName = options.tableName;
    this.consistentRead = options.consistentRead ?? false;
    this.clock = options.clock ?? (() => new Date());
  }

  /**
   * A user's insights, or undefined when the view has no transaction of theirs. Throws
   * `InvalidRequestError` for a malformed id, limit or month.
   */
  public async get(request: InsightsRequest): Promise<UserInsights | undefined> {
    if (!USER_ID.test(request.userId)) throw new InvalidRequestError('userId', 'must be 1 to 64 characters of [A-Za-z0-9_-]');
    const limit = checkLimit('limit', request.limit);
    const anomalyLimit = checkLimit('anomalyLimit', request.anomalyLimit);
    if (request.month !== undefined && !isMonth(request.month)) throw new InvalidRequestError('month', 'must be YYYY-MM');

    const pk = userPk(request.userId);
    const [recent, anomalies] = await Promise.all([
      this.query<TransactionItem>({ pk, prefix: KeyPrefix.Transaction, limit }),
      this.query<AnomalyItem>({ pk, prefix: KeyPrefix.Anomaly, limit: anomalyLimit }),
    ]);
    if (recent.length === 0) return undefined;

    const now = this.clock();
    const latest = recent[0];
    const current = request.month ?? monthAt(now, latest === undefined ? 0 : offsetMinutes(latest.bookedAt));
    const months = request.month === undefined ? [current, previousMonth(current)] : [current];
    const totals = await this.totals(pk, months);
    return {
      userId: request.userId,
      months: months.map((month) => ({ month, totals: sortTotals(totals.filter((t) => t.month === month)) })),
      recent: recent.map((item) => ({
        transactionId: item.transactionId,
        accountId: item.accountId,
        bookedAt: item.bookedAt,
        amount: amount(item.amount.minor, item.amount.currency),
        merchant: item.merchant,
        category: item.category,
        categoryScore: item.categoryScores[categoryIndex(item)] ?? 0,
        anomalyScore: item.anomalyScore,
        isAnomaly: item.isAnomaly,
        ingestedAt: item.ingestedAt,
        viewedAt: item.viewedAt,
      })),
      anomalies: anomalies.map((item) => ({
        transactionId: item.transactionId,
        bookedAt: item.bookedAt,
        amount: amount(item.amount.minor, item.amount.currency),
        merchant: item.merchant,
        category: item.category,
        anomalyScore: item.anomalyScore,
      })),
      generatedAt: now.toISOString(),
    };
  }

  /** Newest first within one key prefix of a user's partition. */
  private async query<T>(options: { pk: string; prefix: string; limit: number }): Promise<T[]> {
    const page = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
        ExpressionAttributeValues: { ':pk': options.pk, ':prefix': options.prefix },
        ScanIndexForward: false,
        Limit: options.limit,
        ConsistentRead: this.consistentRead,
      }),
    );
    return (page.Items ?? []) as T[];
  }

  /** Every total of the given months: one Query over the sort-key range that spans them. */
  private async totals(pk: string, months: readonly string[]): Promise<TotalItem[]> {
    const sorted = [...months].sort();
    const input: QueryCommandInput = {
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
      // '#' < '$': every sort key of the last month is below `TOTAL#<month>$`.
      ExpressionAttributeValues: { ':pk': pk, ':from': totalMonthPrefix(sorted[0] ?? ''), ':to': `${totalMonthPrefix(sorted[sorted.length - 1] ?? '').slice(0, -1)}$` },
      ConsistentRead: this.consistentRead,
    };
    const items: TotalItem[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
      items.push(...((page.Items ?? []) as TotalItem[]));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return items.filter((item) => months.includes(item.month));
  }
}

function categoryIndex(item: TransactionItem): number {
  return CATEGORY_ORDER.indexOf(item.category);
}

const CATEGORY_ORDER: readonly string[] = CATEGORIES;

function sortTotals(totals: readonly TotalItem[]): CategoryTotal[] {
  return [...totals]
    .sort((a, b) => a.currency.localeCompare(b.currency) || a.sumMinor - b.sumMinor || a.category.localeCompare(b.category))
    .map((t) => ({ category: t.category, currency: t.currency, sum: amount(t.sumMinor, t.currency), count: t.txnCount }));
}
