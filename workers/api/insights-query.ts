import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readInsights } from '../../shared/view/read-insights.js';
import type { InsightsRequest, UserInsights } from '../../shared/view/insights.js';

export { DEFAULT_RECENT_LIMIT, MAX_MONTHS, MAX_RECENT_LIMIT, USER_ID } from '../../shared/view/insights.js';
export type { AmountView, CategoryTotal, FlaggedAnomaly, InsightsRequest, MonthTotals, RecentTransaction, UserInsights } from '../../shared/view/insights.js';

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

/**
 * The read path of the API and the CLI: a thin holder of the view's read model
 * (`shared/view/read-insights.ts`), so the page shows exactly what the view holds.
 *
 * @example
 * const query = new InsightsQuery({ dynamodb, tableName: env.VIEW_TABLE_NAME });
 * const insights = await query.get({ userId: 'user-1', month: '2026-11' }); // undefined: no such user
 */
export class InsightsQuery {
  public constructor(private readonly options: InsightsQueryOptions) {}

  /**
   * A user's insights, or undefined when the view has no transaction of theirs in the last year.
   * Throws `InvalidRequestError` for a malformed id, count or month.
   */
  public get(request: InsightsRequest): Promise<UserInsights | undefined> {
    return readInsights(this.options, request);
  }
}
