import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { currentTransactions, monthTotals } from './collapse.js';
import type { MonthTotal, VersionHead } from './collapse.js';
import { queryMonth } from './month-query.js';
import { HEAD_ATTRIBUTES, fromItem, headOf } from './version.js';
import type { LiveVersion, ViewVersion } from './version.js';

/** A whole view as the read model sees it: every user's transactions and totals, over all months. */
export interface ViewContents {
  /** Every version item, superseded and removed ones included. */
  readonly versions: readonly ViewVersion[];
  /** What the view shows (see `currentTransactions`), per user, over every month. */
  readonly transactions: readonly LiveVersion[];
  /** Totals of what it shows, per user, local month, category and currency. */
  readonly totals: readonly MonthTotal[];
}

/** Parallel scan segments: DynamoDB Local serves them on several threads. */
const SEGMENTS = 4;

async function scanItems(dynamodb: DynamoDBClient, tableName: string, projection?: readonly string[]): Promise<Record<string, AttributeValue>[]> {
  const pages = await Promise.all(
    Array.from({ length: SEGMENTS }, async (_, segment) => {
      const items: Record<string, AttributeValue>[] = [];
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page = await dynamodb.send(
          new ScanCommand({
            TableName: tableName,
            ConsistentRead: true,
            Segment: segment,
            TotalSegments: SEGMENTS,
            ...(projection === undefined
              ? {}
              : { ProjectionExpression: projection.map((_, i) => `#a${i}`).join(', '), ExpressionAttributeNames: Object.fromEntries(projection.map((name, i) => [`#a${i}`, name])) }),
            ...(start === undefined ? {} : { ExclusiveStartKey: start }),
          }),
        );
        items.push(...(page.Items ?? []));
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
      return items;
    }),
  );
  return pages.flat();
}

/** Collapses each user's versions on their own, as the read model does (it reads one user at a time). */
function perUser<V extends VersionHead & { readonly userId: string }>(versions: readonly V[]): ReturnType<typeof currentTransactions<V>> {
  const byUser = new Map<string, V[]>();
  for (const version of versions) {
    const list = byUser.get(version.userId);
    if (list === undefined) byUser.set(version.userId, [version]);
    else list.push(version);
  }
  return [...byUser.values()].flatMap((list) => currentTransactions(list));
}

/**
 * Reads a whole view table, consistently, and collapses it exactly as the read model does: for the
 * local runner's summary (`inView`, `lost`, `doubleCounted`, latency), the bench and tests. A scan
 * reads every item, so this is for measuring, never for serving.
 *
 * @example
 * const view = await scanView(dynamodb, names.tables.view);
 * const shown = new Set(view.transactions.map((t) => t.transactionId));
 */
export async function scanView(dynamodb: DynamoDBClient, tableName: string): Promise<ViewContents> {
  const versions = (await scanItems(dynamodb, tableName)).map(fromItem).filter((v): v is ViewVersion => v !== undefined);
  const transactions = perUser(versions);
  return { versions, transactions, totals: monthTotals(transactions) };
}

/**
 * The ids of the transactions the view shows, from the heads of its versions only (a projected
 * scan: a fraction of the bytes of `scanView`), cheap enough to poll for progress.
 */
export async function shownTransactionIds(dynamodb: DynamoDBClient, tableName: string): Promise<Set<string>> {
  const heads = (await scanItems(dynamodb, tableName, HEAD_ATTRIBUTES)).map(headOf).filter((h) => h !== undefined);
  return new Set(perUser(heads).map((h) => h.transactionId));
}

/** One user's local month (`YYYY-MM`) of the view. */
export interface UserMonth {
  readonly userId: string;
  readonly month: string;
}

/** Queries at once when reading several user-months. */
const QUERIES_IN_FLIGHT = 8;

/**
 * What the view shows of some users' months, collapsed as the read model does, from one strongly
 * consistent Query per user-month: for polling a few users (sign-ups) while the pipeline writes the
 * rest of the table, where a scan every few seconds would read the whole view and weigh on the
 * store the latency is measured through.
 */
export async function readUserMonths(dynamodb: DynamoDBClient, tableName: string, userMonths: readonly UserMonth[]): Promise<ViewContents> {
  const unique = [...new Map(userMonths.map((m) => [`${m.userId}\u0000${m.month}`, m])).values()];
  const versions: ViewVersion[] = [];
  for (let i = 0; i < unique.length; i += QUERIES_IN_FLIGHT) {
    const pages = await Promise.all(unique.slice(i, i + QUERIES_IN_FLIGHT).map((m) => queryMonth({ dynamodb, tableName, consistentRead: true }, m.userId, m.month)));
    for (const page of pages) versions.push(...page);
  }
  const transactions = perUser(versions);
  return { versions, transactions, totals: monthTotals(transactions) };
}
