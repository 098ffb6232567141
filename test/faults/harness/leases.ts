import { QueryCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LeaseAttribute, WORKER_KEY_PREFIX, leaseFromItem } from '../../../shared/kinesis/lease.js';
import type { Lease } from '../../../shared/kinesis/lease.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

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

/** Where the container stop timeout came from, and its value. */
export interface StopTimeout {
  readonly ms: number;
  readonly source: string;
}

/**
 * The time ECS gives a container between SIGTERM and SIGKILL, as infra configures it: the task
 * definition's `stopTimeout` comes from the stack setting `realtime-insights:stopTimeoutSeconds`
 * (infra/components/worker-task.ts, infra/config.ts). The smallest value any stack file sets is
 * the bound a hand-off must stay under; 30 s (ECS's own default) when no stack file sets one.
 */
export function containerStopTimeout(): StopTimeout {
  const found: { seconds: number; file: string }[] = [];
  for (const file of readdirSync(root).filter((f) => /^Pulumi\.[\w-]+\.yaml$/.test(f))) {
    const match = /realtime-insights:stopTimeoutSeconds:\s*"?(\d+)"?/.exec(readFileSync(join(root, file), 'utf8'));
    if (match?.[1] !== undefined) found.push({ seconds: Number(match[1]), file });
  }
  if (found.length === 0) return { ms: 30_000, source: 'ECS default (no stack sets stopTimeoutSeconds)' };
  const smallest = found.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  return { ms: smallest.seconds * 1000, source: `${smallest.file} stopTimeoutSeconds` };
}
