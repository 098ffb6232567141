import { GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createHash } from 'node:crypto';
import { CrawlerFencedError, CursorStoreError } from './errors.js';
import { rememberFinal } from './watermark.js';

/** What a starting crawler gets: where to resume, and its run's place among earlier runs. */
export interface CrawlStart {
  /** The cursor to ask for next; null before the first page was done. */
  readonly cursor: string | null;
  readonly updatedAt: string | undefined;
  /** A short, stable id of the crawl (see `PageStamp.crawl`). */
  readonly crawl: string;
  /** This run's number: one more than the last run's. */
  readonly epoch: number;
  /** Earlier runs' final watermarks (epoch → first page not committed). */
  readonly finals: Readonly<Record<string, number>>;
}

export interface CursorStoreOptions {
  readonly dynamodb: DynamoDBClient;
  /** The crawlerState table (CRAWLER_STATE_TABLE_NAME); key `name`. */
  readonly tableName: string;
  /** Which crawl this is (the item's key): the broker endpoint, so another broker starts from its own beginning. */
  readonly name: string;
}

/**
 * The crawl's durable state in the crawlerState table: the cursor, the run (epoch) and the page
 * watermark saved with it. The crawler saves a cursor only after every record of the pages
 * before it is on the raw stream and every reject is stored, so resuming from it loses nothing.
 *
 * Each start begins a new run with a conditional write, and every save is conditional on the
 * run being still the latest: a second crawler on the same crawl fences the first one off
 * (its next save fails with `CrawlerFencedError`) instead of both moving the cursor.
 */
export class CursorStore {
  private readonly dynamodb: DynamoDBClient;
  private readonly tableName: string;
  public readonly name: string;
  private epoch: number | undefined;

  public constructor(options: CursorStoreOptions) {
    this.dynamodb = options.dynamodb;
    this.tableName = options.tableName;
    this.name = options.name;
  }

  /** Starts a new run: reads where the last one stopped and records that run's final watermark. */
  public async begin(): Promise<CrawlStart> {
    const crawl = createHash('sha256').update(this.name).digest('base64url').slice(0, 12);
    try {
      const { Item } = await this.dynamodb.send(new GetItemCommand({ TableName: this.tableName, Key: { name: { S: this.name } }, ConsistentRead: true }));
      const previous = Item?.['epoch']?.N === undefined ? undefined : Number(Item['epoch'].N);
      const stored = JSON.parse(Item?.['finals']?.S ?? '{}') as Record<string, number>;
      const finals = previous === undefined ? stored : rememberFinal(stored, previous, Number(Item?.['nextSeq']?.N ?? 0));
      const epoch = (previous ?? 0) + 1;
      const cursor = Item?.['cursor']?.S ?? null;
      const updatedAt = new Date().toISOString();
      await this.dynamodb.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            name: { S: this.name },
            ...(cursor === null ? {} : { cursor: { S: cursor } }),
            epoch: { N: String(epoch) },
            nextSeq: { N: '0' },
            finals: { S: JSON.stringify(finals) },
            updatedAt: { S: updatedAt },
          },
          ConditionExpression: previous === undefined ? 'attribute_not_exists(#name)' : 'epoch = :previous',
          ...(previous === undefined ? { ExpressionAttributeNames: { '#name': 'name' } } : { ExpressionAttributeValues: { ':previous': { N: String(previous) } } }),
        }),
      );
      this.epoch = epoch;
      return { cursor, updatedAt: Item?.['updatedAt']?.S, crawl, epoch, finals };
    } catch (error) {
      // Another crawler began a run between our read and write: try again, after it.
      throw new CursorStoreError('begin', { cause: error });
    }
  }

  /** Saves the cursor and the watermark, if this run is still the latest. */
  public async save(cursor: string, nextSeq: number): Promise<void> {
    if (this.epoch === undefined) throw new CursorStoreError('save (before begin)');
    try {
      await this.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { name: { S: this.name } },
          UpdateExpression: 'SET #cursor = :cursor, nextSeq = :nextSeq, updatedAt = :now',
          ConditionExpression: 'epoch = :epoch',
          ExpressionAttributeNames: { '#cursor': 'cursor' },
          ExpressionAttributeValues: { ':cursor': { S: cursor }, ':nextSeq': { N: String(nextSeq) }, ':now': { S: new Date().toISOString() }, ':epoch': { N: String(this.epoch) } },
        }),
      );
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') throw new CrawlerFencedError(this.name, this.epoch, { cause: error });
      throw new CursorStoreError('save', { cause: error });
    }
  }
}
