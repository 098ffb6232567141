import { QueryCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { userMonthPk } from './keys.js';
import { fromItem } from './version.js';
import type { ViewVersion } from './version.js';

/** Where the view is read from. */
export interface ViewSource {
  /** Injected, never built here. */
  readonly dynamodb: DynamoDBClient;
  /** The view table (catalog `view`). */
  readonly tableName: string;
  /**
   * Strongly consistent reads: the projector's last write is always seen, at twice the read cost.
   * @default false
   */
  readonly consistentRead?: boolean;
  /** Told the read capacity (RRU) each request consumed, as DynamoDB reports it. */
  readonly onConsumedCapacity?: (units: number) => void;
}

/**
 * Every version of one user's local month: one Query on its partition (more pages only past 1 MB,
 * about 2,000 versions). DynamoDB answers IAM action `dynamodb:Query` on the table.
 */
export async function queryMonth(source: ViewSource, userId: string, month: string): Promise<ViewVersion[]> {
  const versions: ViewVersion[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await source.dynamodb.send(
      new QueryCommand({
        TableName: source.tableName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': 'pk' },
        ExpressionAttributeValues: { ':pk': { S: userMonthPk(userId, month) } },
        ConsistentRead: source.consistentRead ?? false,
        ...(source.onConsumedCapacity === undefined ? {} : { ReturnConsumedCapacity: 'TOTAL' as const }),
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      }),
    );
    if (source.onConsumedCapacity !== undefined) source.onConsumedCapacity(page.ConsumedCapacity?.CapacityUnits ?? 0);
    for (const item of page.Items ?? []) {
      const version = fromItem(item);
      if (version !== undefined) versions.push(version);
    }
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return versions;
}
