import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { classifyItems } from './view-model.js';
import type { ViewContents } from './view-model.js';

/**
 * Reads a whole view table, consistently, and sorts its items by kind: for the local runner's
 * summary (`inView`, `lost`, `doubleCounted`, latency) and for tests. A scan reads every item, so
 * this is for measuring, never for serving (the read path queries one user's partition).
 *
 * @example
 * const view = await scanView(dynamodb, names.tables.view);
 * const doubleCounted = auditTotals(view).length;
 */
export async function scanView(dynamodb: DynamoDBClient, tableName: string): Promise<ViewContents> {
  const doc = DynamoDBDocumentClient.from(dynamodb);
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return classifyItems(items);
}
