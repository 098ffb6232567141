import { DeleteTableCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteStreamCommand, GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from '@aws-sdk/client-kinesis';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { DeleteBucketCommand } from '@aws-sdk/client-s3';
import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ProvisionedCatalog } from '../../../local/env/provision.js';
import { provisionCatalog } from '../../../local/env/provision.js';
import type { LocalEnv } from '../../../local/env/index.js';
import { generateTransactions } from '../../../models/index.js';
import type { AwsClients } from '../../../shared/aws/clients.js';
import { KinesisProducer } from '../../../shared/kinesis/index.js';
import { silentLogger } from '../../../shared/logger.js';
import type { RawRecord } from '../../../shared/schemas/raw-record.js';
import { normaliseBrokerTransaction, transactionContentHash } from '../../../shared/schemas/transaction.js';
import { createRedisConnection } from '../../../workers/lib/redis.js';
import { RejectStore } from '../../../shared/rejects/reject-store.js';
import type { ScoringJobData, ScoringJobResult } from '../../../shared/scoring-job.js';
import { JobCompletionTracker } from '../../../workers/stream-reader/job-tracker.js';
import type { ContractRoleName } from '../../../shared/iam/grants.js';
import { getLocalEnv, uniqueStack } from '../../helpers/local-env.js';
import { streamPartitionKey } from '../../../shared/schemas/stream-partition-key.js';

/**
 * One test's own stack (every catalog stream, table and bucket under a unique stack name), its
 * own BullMQ queue, Redis connections and reject store; `cleanup()` obliterates the queue, closes
 * every connection and deletes the stack's resources.
 */
export interface PipelineFixture {
  readonly env: LocalEnv;
  /** The operator's clients: putting test input, reading state back. Role code gets `as(role)`. */
  readonly clients: AwsClients & { destroy(): void };
  /** Clients acting as `role` of this stack, for that role's code run in this process (made once per role). */
  as(role: ContractRoleName): AwsClients;
  /** The reject store as `role` writes it. */
  rejectsAs(role: ContractRoleName): RejectStore;
  /** Its names and the ARNs of its stream consumers. */
  readonly names: ProvisionedCatalog;
  readonly queue: Queue<ScoringJobData, ScoringJobResult>;
  readonly queueEvents: QueueEvents;
  readonly tracker: JobCompletionTracker;
  /** The reject store read by the operator (`list()`). */
  readonly rejectStore: RejectStore;
  /** A new Redis connection, closed by `cleanup()` (a BullMQ Worker wants one of its own). */
  connection(name: string): Redis;
  cleanup(): Promise<void>;
}

export async function pipelineFixture(options: { rawShards?: number; pollIntervalMs?: number } = {}): Promise<PipelineFixture> {
  const env = await getLocalEnv();
  const clients = env.clients();
  const stack = uniqueStack();
  const names = await provisionCatalog(clients, { stack, shards: { raw: options.rawShards ?? 1, results: 1 } });
  const connections: Redis[] = [];
  const connection = (name: string): Redis => {
    const redis = createRedisConnection({ url: env.redisUrl, connectionName: `test-${name}` });
    connections.push(redis);
    return redis;
  };
  const queue = new Queue<ScoringJobData, ScoringJobResult>(names.queues.scoring, { connection: connection('queue'), prefix: names.queuePrefix });
  const queueEvents = new QueueEvents(names.queues.scoring, { connection: connection('events'), prefix: names.queuePrefix });
  await queueEvents.waitUntilReady();
  const tracker = new JobCompletionTracker({ queue, queueEvents, pollIntervalMs: options.pollIntervalMs ?? 500 });
  const rejectStore = new RejectStore({ dynamodb: clients.dynamodb, tableName: names.tables.rejects });
  const byRole = new Map<ContractRoleName, AwsClients & { destroy(): void }>();
  const as = (role: ContractRoleName): AwsClients => {
    let roleClients = byRole.get(role);
    if (roleClients === undefined) {
      roleClients = env.clientsFor(role, stack);
      byRole.set(role, roleClients);
    }
    return roleClients;
  };
  return {
    env,
    clients,
    as,
    rejectsAs: (role) => new RejectStore({ dynamodb: as(role).dynamodb, tableName: names.tables.rejects }),
    names,
    queue,
    queueEvents,
    tracker,
    rejectStore,
    connection,
    async cleanup() {
      await tracker.close();
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queueEvents.close();
      await queue.close();
      await Promise.allSettled(connections.map((c) => c.quit()));
      await Promise.allSettled([
        ...Object.values(names.streams).map((name) => clients.kinesis.send(new DeleteStreamCommand({ StreamName: name, EnforceConsumerDeletion: true }))),
        ...Object.values(names.tables).map((name) => clients.dynamodb.send(new DeleteTableCommand({ TableName: name }))),
        ...Object.values(names.buckets).map((name) => clients.s3.send(new DeleteBucketCommand({ Bucket: name }))),
      ]);
      clients.destroy();
      for (const roleClients of byRole.values()) roleClients.destroy();
    },
  };
}

/** `count` realistic raw-stream envelopes from the seeded synthetic generator, as the crawler writes them. */
export function syntheticRawRecords(count: number, seed = 11): RawRecord[] {
  const now = new Date();
  // About two lines per user per day from 1 October: enough users that the lines end well before today.
  const users = Math.max(40, Math.ceil(count / 60));
  return generateTransactions({ count, seed, users }).map(({ broker }, line) => ({
    v: 1,
    ingestedAt: new Date(now.getTime() - 1_000).toISOString(),
    source: { cursor: 'c-1', line },
    contentHash: transactionContentHash(normaliseBrokerTransaction(broker, now)),
    transaction: broker,
  }));
}

/** Puts raw records on the raw stream (partition key userId, in order per user); strings are put as they are (malformed data). */
export async function putRaw(kinesis: KinesisClient, streamName: string, records: readonly (RawRecord | string)[]): Promise<void> {
  const producer = new KinesisProducer({ kinesis, streamName, logger: silentLogger() });
  await Promise.all(
    records.map((record) =>
      typeof record === 'string' ? producer.put({ data: record, partitionKey: 'malformed' }) : producer.put({ data: JSON.stringify(record), partitionKey: streamPartitionKey(record.transaction) }),
    ),
  );
  await producer.close();
}

/** Every record on every shard of a stream, read from TRIM_HORIZON to the tip. */
export async function readStream(kinesis: KinesisClient, streamName: string): Promise<{ shardId: string; sequenceNumber: string; partitionKey: string; data: string }[]> {
  const out: { shardId: string; sequenceNumber: string; partitionKey: string; data: string }[] = [];
  const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  for (const shard of Shards ?? []) {
    const shardId = shard.ShardId as string;
    let { ShardIterator: iterator } = await kinesis.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }));
    while (iterator !== undefined) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      for (const record of page.Records ?? []) {
        out.push({ shardId, sequenceNumber: record.SequenceNumber as string, partitionKey: record.PartitionKey as string, data: Buffer.from(record.Data ?? new Uint8Array()).toString('utf8') });
      }
      if ((page.Records ?? []).length === 0 || page.MillisBehindLatest === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return out;
}

/** The stream-reader's checkpoint per shard, from the lease table. */
export async function checkpoints(dynamodb: DynamoDBClient, leaseTableName: string, application: string): Promise<Map<string, string>> {
  const { Items } = await dynamodb.send(
    new QueryCommand({
      TableName: leaseTableName,
      KeyConditionExpression: '#app = :app',
      ExpressionAttributeNames: { '#app': 'application' },
      ExpressionAttributeValues: { ':app': { S: application } },
      ConsistentRead: true,
    }),
  );
  return new Map((Items ?? []).map((item) => [item['leaseKey']?.S ?? '', item['checkpoint']?.S ?? '']));
}

/** Polls `check` until it returns true; throws naming `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
