import { GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CrawlerFencedError, CursorStoreError } from './errors.js';

/** Where a connection's sync resumes, and the run that owns it now. */
export interface ConnectionRun {
  readonly connectionId: string;
  /** The cursor to sync from; null before the connection's first durable page. */
  readonly cursor: string | null;
  /** The first revision this run may give a change (see `ConnectionCursors.begin`). */
  readonly revision: number;
  /**
   * The revision clock as the connection's last durable page left it (0 before the first): every
   * ledger entry of this connection below it was claimed by a page whose cursor was saved, so its
   * record is on the stream and the broker will never send it again as `added`. Entries at or above
   * it come from a page a killed run never saved, which the broker sends again, collapsed.
   */
  readonly savedRevision: number;
  /** This run's number; every save is conditional on it still being the latest. */
  readonly epoch: number;
  /** When the connection's whole history was first synced (ISO), if it was. */
  readonly historySyncedAt: string | undefined;
}

export interface ConnectionCursorsOptions {
  readonly dynamodb: DynamoDBClient;
  /** The crawlerState table (CRAWLER_STATE_TABLE_NAME); key `name`. */
  readonly tableName: string;
  /**
   * Revisions skipped at the start of each run, above the last saved clock: at least the most
   * changes one page can produce (a page's added + modified + removed, plus a `removed` for each
   * modification that moves a transaction's date), so a run never reuses a revision an unsaved
   * page of a killed run may have put on the stream. @default 2 × 10,000
   */
  readonly revisionGap?: number;
}

/** The item key of a connection's state (the table is shared with the feed crawler's cursor). */
export function connectionStateKey(connectionId: string): string {
  return `connection#${connectionId}`;
}

/**
 * Each linked connection's durable sync state in the crawlerState table: its cursor, its revision
 * clock and its run fence. A crawler syncing a connection `begin`s a run (a conditional write
 * that makes it the connection's owner), then after each page whose every change is on the raw
 * stream `save`s the next cursor and clock, conditional on its run still being the latest. So two
 * crawlers never move one connection's cursor (a stale one is fenced off with
 * `CrawlerFencedError`), and a crawler killed between a put and a save makes the next run sync
 * that page again from the saved cursor: duplicates on the stream at worst, never a gap.
 *
 * Revisions: the crawler numbers the changes it puts, per connection, from the clock; each run
 * starts `revisionGap` above the saved clock, so a page synced again after a crash carries higher
 * revisions than anything the killed run put (the newer broker content wins in the view).
 */
export class ConnectionCursors {
  private readonly dynamodb: DynamoDBClient;
  private readonly tableName: string;
  private readonly revisionGap: number;

  public constructor(options: ConnectionCursorsOptions) {
    this.dynamodb = options.dynamodb;
    this.tableName = options.tableName;
    this.revisionGap = options.revisionGap ?? 20_000;
  }

  /** Starts a run on a connection: reads its state and takes it over with a conditional write. */
  public async begin(connectionId: string): Promise<ConnectionRun> {
    const name = connectionStateKey(connectionId);
    try {
      const { Item } = await this.dynamodb.send(new GetItemCommand({ TableName: this.tableName, Key: { name: { S: name } }, ConsistentRead: true }));
      const previous = Item?.['epoch']?.N === undefined ? undefined : Number(Item['epoch'].N);
      const cursor = Item?.['cursor']?.S ?? null;
      const clock = Number(Item?.['revision']?.N ?? 0);
      // Items saved before `savedRevision` existed: their clock is the best bound there is.
      const savedRevision = Number(Item?.['savedRevision']?.N ?? clock);
      // A connection never synced starts at 0; any later run skips the gap (a killed run may have used it).
      const revision = previous === undefined ? 0 : clock + this.revisionGap;
      const epoch = (previous ?? 0) + 1;
      const historySyncedAt = Item?.['historySyncedAt']?.S;
      await this.dynamodb.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            name: { S: name },
            ...(cursor === null ? {} : { cursor: { S: cursor } }),
            revision: { N: String(revision) },
            savedRevision: { N: String(savedRevision) },
            epoch: { N: String(epoch) },
            ...(historySyncedAt === undefined ? {} : { historySyncedAt: { S: historySyncedAt } }),
            updatedAt: { S: new Date().toISOString() },
          },
          ConditionExpression: previous === undefined ? 'attribute_not_exists(#name)' : 'epoch = :previous',
          ...(previous === undefined ? { ExpressionAttributeNames: { '#name': 'name' } } : { ExpressionAttributeValues: { ':previous': { N: String(previous) } } }),
        }),
      );
      return { connectionId, cursor, revision, savedRevision, epoch, historySyncedAt };
    } catch (error) {
      // Another crawler began a run between our read and write: the caller retries, after it.
      throw new CursorStoreError(`begin (${name})`, { cause: error });
    }
  }

  /** Saves the cursor after a durable page and the next free revision, if the run is still the latest. */
  public async save(run: Pick<ConnectionRun, 'connectionId' | 'epoch'>, cursor: string, revision: number, historySyncedAt?: string): Promise<void> {
    const name = connectionStateKey(run.connectionId);
    try {
      await this.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { name: { S: name } },
          UpdateExpression: `SET #cursor = :cursor, revision = :revision, savedRevision = :revision, updatedAt = :now${historySyncedAt === undefined ? '' : ', historySyncedAt = if_not_exists(historySyncedAt, :synced)'}`,
          ConditionExpression: 'epoch = :epoch',
          ExpressionAttributeNames: { '#cursor': 'cursor' },
          ExpressionAttributeValues: {
            ':cursor': { S: cursor },
            ':revision': { N: String(revision) },
            ':now': { S: new Date().toISOString() },
            ':epoch': { N: String(run.epoch) },
            ...(historySyncedAt === undefined ? {} : { ':synced': { S: historySyncedAt } }),
          },
        }),
      );
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') throw new CrawlerFencedError(name, run.epoch, { cause: error });
      throw new CursorStoreError(`save (${name})`, { cause: error });
    }
  }
}
