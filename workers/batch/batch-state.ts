import { BatchGetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** What became of an archive object. */
export const ObjectStatus = {
  /** Its valid rows are in the enriched Parquet; its invalid lines are in the reject store. */
  Processed: 'processed',
  /** It could not be read at all; a copy and the reason are under the quarantine prefix. */
  Quarantined: 'quarantined',
} as const;
export type ObjectStatusValue = (typeof ObjectStatus)[keyof typeof ObjectStatus];

/** One batchState item: the durable manifest of archive objects the job is done with. */
export interface ObjectState {
  readonly objectKey: string;
  readonly status: ObjectStatusValue;
  readonly processedAt: string;
  readonly size: number;
  readonly etag?: string;
  /** Lines in the object. */
  readonly rowsIn: number;
  /** Lines rejected by validation. */
  readonly rejected: number;
  /** Quarantine reason code and where the copy is. */
  readonly reason?: string;
  readonly quarantineKey?: string;
}

// BatchGetItem reads at most 100 keys per call.
const MAX_KEYS_PER_GET = 100;

export interface BatchStateStoreOptions {
  readonly dynamodb: DynamoDBClient;
  readonly tableName: string;
  /** Rounds of retrying unprocessed keys before giving up. @default 8 */
  readonly maxRetries?: number;
}

/**
 * The batchState table (catalog `batchState`, key `objectKey`): which archive objects are done.
 * Reads with BatchGetItem and writes with PutItem only, the calls the batch role may make.
 */
export class BatchStateStore {
  private readonly dynamodb: DynamoDBClient;
  private readonly tableName: string;
  private readonly maxRetries: number;

  public constructor(options: BatchStateStoreOptions) {
    this.dynamodb = options.dynamodb;
    this.tableName = options.tableName;
    this.maxRetries = options.maxRetries ?? 8;
  }

  /** The keys among `objectKeys` that already have a state item. */
  public async done(objectKeys: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < objectKeys.length; i += MAX_KEYS_PER_GET) {
      let keys: Record<string, AttributeValue>[] = objectKeys.slice(i, i + MAX_KEYS_PER_GET).map((key) => ({ objectKey: { S: key } }));
      for (let attempt = 0; keys.length > 0; attempt += 1) {
        if (attempt > this.maxRetries) throw new Error(`batchState reads kept coming back unprocessed after ${this.maxRetries} retries`);
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(2_000, 50 * 2 ** attempt)));
        const response = await this.dynamodb.send(
          new BatchGetItemCommand({ RequestItems: { [this.tableName]: { Keys: keys, ProjectionExpression: 'objectKey', ConsistentRead: true } } }),
        );
        for (const item of response.Responses?.[this.tableName] ?? []) {
          const key = item['objectKey']?.S;
          if (key !== undefined) found.add(key);
        }
        keys = (response.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<string, AttributeValue>[];
      }
    }
    return found;
  }

  /** Records an object as done (a put: recording it twice keeps the last figures). */
  public async mark(state: ObjectState): Promise<void> {
    const item: Record<string, AttributeValue> = {
      objectKey: { S: state.objectKey },
      status: { S: state.status },
      processedAt: { S: state.processedAt },
      size: { N: String(state.size) },
      rowsIn: { N: String(state.rowsIn) },
      rejected: { N: String(state.rejected) },
      ...(state.etag === undefined ? {} : { etag: { S: state.etag } }),
      ...(state.reason === undefined ? {} : { reason: { S: state.reason } }),
      ...(state.quarantineKey === undefined ? {} : { quarantineKey: { S: state.quarantineKey } }),
    };
    await this.dynamodb.send(new PutItemCommand({ TableName: this.tableName, Item: item }));
  }
}
