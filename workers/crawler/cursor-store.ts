import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CursorStoreError } from './errors.js';

/** The durable position of one crawl. */
export interface StoredCursor {
  /** The cursor to ask for next; null before the first page was done. */
  readonly cursor: string | null;
  readonly updatedAt: string | undefined;
}

export interface CursorStoreOptions {
  readonly dynamodb: DynamoDBClient;
  /** The crawlerState table (CRAWLER_STATE_TABLE_NAME); key `name`. */
  readonly tableName: string;
  /** Which crawl this is (the item's key): the broker endpoint, so another broker starts from its beginning. */
  readonly name: string;
}

/**
 * The crawler's cursor in the crawlerState table. The crawler saves a cursor only after every
 * record of the pages before it is on the raw stream and every reject is stored, so resuming from
 * it loses nothing; at worst the page in flight at a crash is read again, which the ingest ledger
 * turns into no change downstream.
 */
export class CursorStore {
  private readonly dynamodb: DynamoDBClient;
  private readonly tableName: string;
  public readonly name: string;

  public constructor(options: CursorStoreOptions) {
    this.dynamodb = options.dynamodb;
    this.tableName = options.tableName;
    this.name = options.name;
  }

  public async load(): Promise<StoredCursor> {
    try {
      const { Item } = await this.dynamodb.send(new GetItemCommand({ TableName: this.tableName, Key: { name: { S: this.name } }, ConsistentRead: true }));
      return { cursor: Item?.['cursor']?.S ?? null, updatedAt: Item?.['updatedAt']?.S };
    } catch (error) {
      throw new CursorStoreError('load', { cause: error });
    }
  }

  /**
   * Overwrites the cursor. One crawler per broker is the deployment (desired count 1); two would
   * only read pages twice, which the ledger absorbs, so no fencing is attempted here.
   */
  public async save(cursor: string): Promise<void> {
    try {
      await this.dynamodb.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            name: { S: this.name },
            cursor: { S: cursor },
            updatedAt: { S: new Date().toISOString() },
          },
        }),
      );
    } catch (error) {
      throw new CursorStoreError('save', { cause: error });
    }
  }
}
