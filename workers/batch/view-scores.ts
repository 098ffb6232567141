import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { currentTransactions } from '../../shared/view/collapse.js';
import { queryMonth } from '../../shared/view/month-query.js';
import { localMonth } from '../../shared/view/months.js';
import { mapLimit } from '../lib/concurrency.js';

/** What the view knows about a transaction that the Parquet carries. */
export interface ViewScore {
  readonly transactionId: string;
  readonly category: string;
  readonly anomalyScore: number;
  readonly isAnomaly: boolean;
}

/** Where a transaction is in the view: its user and local month. */
export interface ViewScoreKey {
  readonly transactionId: string;
  readonly userId: string;
  /** ISO 8601 with the user's offset: its date part is the local month. */
  readonly bookedAt: string;
}

/** Looks transactions up in the view; those it does not show (not scored yet, removed) are simply absent. */
export interface ViewScoreSource {
  lookup(keys: readonly ViewScoreKey[]): Promise<ViewScore[]>;
}

/** A source that knows nothing: the job runs without a view (and the columns stay empty). */
export const NO_VIEW_SCORES: ViewScoreSource = { lookup: () => Promise.resolve([]) };

export interface DynamoViewScoresOptions {
  readonly dynamodb: DynamoDBClient;
  readonly tableName: string;
  /** Month Queries at once. @default 8 */
  readonly concurrency?: number;
}

/**
 * Reads scores from the insights view as the read model shows them: one Query per user and local
 * month the keys fall in, collapsed by `currentTransactions` (shared/view), so a transaction gets
 * the scores of its standing version and a removed or replaced one gets none. Reading a whole
 * month costs its bytes (0.5 RRU per 4 KB, eventually consistent), less than fetching items one by
 * one (0.5 RRU each at least); the batch runs well after the view was written, and a miss only
 * leaves the columns empty until a later rewrite.
 */
export class DynamoViewScores implements ViewScoreSource {
  private readonly concurrency: number;

  public constructor(private readonly options: DynamoViewScoresOptions) {
    this.concurrency = options.concurrency ?? 8;
  }

  public async lookup(keys: readonly ViewScoreKey[]): Promise<ViewScore[]> {
    const wanted = new Map<string, { userId: string; month: string; ids: Set<string> }>();
    for (const key of keys) {
      const month = localMonth(key.bookedAt);
      const id = `${key.userId}\u0000${month}`;
      const entry = wanted.get(id) ?? { userId: key.userId, month, ids: new Set<string>() };
      entry.ids.add(key.transactionId);
      wanted.set(id, entry);
    }
    const found = await mapLimit([...wanted.values()], this.concurrency, async ({ userId, month, ids }) => {
      const shown = currentTransactions(await queryMonth(this.options, userId, month));
      return shown.filter((v) => ids.has(v.transactionId)).map((v) => ({ transactionId: v.transactionId, category: v.category, anomalyScore: v.anomalyScore, isAnomaly: v.isAnomaly }));
    });
    return found.flat();
  }
}
