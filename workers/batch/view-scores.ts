import { BatchGetItemCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { transactionSk, userPk } from '../projector/view-model.js';

/** What the view knows about a transaction that the Parquet carries. */
export interface ViewScore {
  readonly transactionId: string;
  readonly category: string;
  readonly anomalyScore: number;
  readonly isAnomaly: boolean;
}

/** Where a transaction's view item is: its user and booking instant make the key. */
export interface ViewScoreKey {
  readonly transactionId: string;
  readonly userId: string;
  /** Any ISO 8601 spelling of the booking instant. */
  readonly bookedAt: string;
}

/** Looks transactions up in the view; those it has not scored (yet) are simply absent. */
export interface ViewScoreSource {
  lookup(keys: readonly ViewScoreKey[]): Promise<ViewScore[]>;
}

/** A source that knows nothing: the job runs without a view (and the columns stay empty). */
export const NO_VIEW_SCORES: ViewScoreSource = { lookup: () => Promise.resolve([]) };

// BatchGetItem reads at most 100 keys per call.
const MAX_KEYS_PER_GET = 100;

export interface DynamoViewScoresOptions {
  readonly dynamodb: DynamoDBClient;
  readonly tableName: string;
  /** BatchGetItem calls at once. @default 8 */
  readonly concurrency?: number;
  /** Rounds of retrying unprocessed keys. @default 8 */
  readonly maxRetries?: number;
}

/**
 * Reads the scores of transaction items from the insights view (workers/projector/view-model.ts:
 * `pk = USER#<userId>`, `sk = TXN#<UTC instant>#<transactionId>`) with BatchGetItem, projecting
 * only the three attributes the Parquet needs. Eventually consistent reads: the batch runs well
 * after the view was written, and a miss only leaves the columns empty until a later rewrite.
 */
export class DynamoViewScores implements ViewScoreSource {
  private readonly concurrency: number;
  private readonly maxRetries: number;

  public constructor(private readonly options: DynamoViewScoresOptions) {
    this.concurrency = options.concurrency ?? 8;
    this.maxRetries = options.maxRetries ?? 8;
  }

  public async lookup(keys: readonly ViewScoreKey[]): Promise<ViewScore[]> {
    const chunks: ViewScoreKey[][] = [];
    for (let i = 0; i < keys.length; i += MAX_KEYS_PER_GET) chunks.push(keys.slice(i, i + MAX_KEYS_PER_GET));
    const out: ViewScore[] = [];
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < chunks.length) {
        const chunk = chunks[next] as ViewScoreKey[];
        next += 1;
        out.push(...(await this.getChunk(chunk)));
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, chunks.length) }, lane));
    return out;
  }

  private async getChunk(chunk: readonly ViewScoreKey[]): Promise<ViewScore[]> {
    const table = this.options.tableName;
    let pending: Record<string, AttributeValue>[] = chunk.map((key) => ({ pk: { S: userPk(key.userId) }, sk: { S: transactionSk(key.bookedAt, key.transactionId) } }));
    const out: ViewScore[] = [];
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      if (attempt > this.maxRetries) throw new Error(`view reads kept coming back unprocessed after ${this.maxRetries} retries`);
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(2_000, 50 * 2 ** attempt)));
      const response = await this.options.dynamodb.send(
        new BatchGetItemCommand({
          RequestItems: {
            [table]: {
              Keys: pending,
              ProjectionExpression: '#id, #category, #score, #flag',
              ExpressionAttributeNames: { '#id': 'transactionId', '#category': 'category', '#score': 'anomalyScore', '#flag': 'isAnomaly' },
            },
          },
        }),
      );
      for (const item of response.Responses?.[table] ?? []) {
        const transactionId = item['transactionId']?.S;
        const category = item['category']?.S;
        const score = item['anomalyScore']?.N;
        if (transactionId === undefined || category === undefined || score === undefined) continue;
        out.push({ transactionId, category, anomalyScore: Number(score), isAnomaly: item['isAnomaly']?.BOOL ?? false });
      }
      pending = (response.UnprocessedKeys?.[table]?.Keys ?? []) as Record<string, AttributeValue>[];
    }
    return out;
  }
}
