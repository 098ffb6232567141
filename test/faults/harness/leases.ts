import { QueryCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LeaseAttribute, WORKER_KEY_PREFIX, leaseFromItem } from '../../../shared/kinesis/lease.js';
import type { Lease } from '../../../shared/kinesis/lease.js';

/** Every shard lease of one consuming application, read consistently (workers' heartbeat items left out). */
export async function leasesOf(dynamodb: DynamoDBClient, tableName: string, application: string): Promise<Lease[]> {
  const out = await dynamodb.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: '#app = :app',
      ExpressionAttributeNames: { '#app': LeaseAttribute.application },
      ExpressionAttributeValues: { ':app': { S: application } },
      ConsistentRead: true,
    }),
  );
  return (out.Items ?? []).map(leaseFromItem).filter((lease) => !lease.leaseKey.startsWith(WORKER_KEY_PREFIX));
}

/** A worker id names its process (`host-pid-random`, see the consumer's default), so leases tell whose they are. */
export function ownedBy(lease: Lease, pid: number): boolean {
  return lease.owner?.includes(`-${pid}-`) === true;
}
