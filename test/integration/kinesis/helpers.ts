import { QueryCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamSummaryCommand, GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from '@aws-sdk/client-kinesis';
import type { KinesisClient, Shard } from '@aws-sdk/client-kinesis';
import type { LocalEnv } from '../../../local/env/index.js';
import { silentLogger } from '../../../shared/logger.js';
import type { KinesisRecord, PoisonRecord, ShardConsumerOptions, ShardContext } from '../../../shared/kinesis/index.js';
import type { FanOutConsumer } from '../../../shared/kinesis/consumer-options.js';
import { KinesisProducer, ShardConsumer } from '../../../shared/kinesis/index.js';
import type { AwsClients } from '../../../shared/aws/clients.js';
import { testStack, uniqueName } from '../../helpers/local-env.js';

/**
 * Lease timings for tests: short enough that failover, hand-off and balance happen in seconds,
 * long enough that renewals on two shared cores never miss the failover time.
 */
export const FAST_LEASES = {
  failoverTimeMs: 2_000,
  renewIntervalMs: 500,
  leasePassIntervalMs: 250,
  idleTimeBetweenReadsMs: 50,
  checkpointIntervalMs: 100,
  parentShardPollIntervalMs: 100,
  backoffBaseMs: 20,
  backoffMaxMs: 200,
  shutdownTimeoutMs: 5_000,
  metricsIntervalMs: 0,
} as const satisfies Partial<ShardConsumerOptions>;

/**
 * One test's own stack in the shared emulators: its history-lane raw stream (with `shards` shards),
 * which the stream-reader role polls, and lease table, the consumer acting as the stream-reader role
 * and the producer as the crawler, so the library is held to the grants of the roles that run it;
 * `cleanup()` removes the stack. (The live raw stream is read by enhanced fan-out: `fanOutFixture`.)
 */
export interface KinesisFixture {
  /** The shared environment as this stack sees it. */
  readonly env: LocalEnv;
  /** The consumer's clients: the stream-reader role's. */
  readonly kinesis: KinesisClient;
  readonly dynamodb: DynamoDBClient;
  /** The producer's client: the crawler role's, which puts to the raw stream. */
  readonly producer: KinesisClient;
  /** The operator's clients: resharding, and reading state back without a role's eyes. */
  readonly operator: AwsClients;
  readonly stack: string;
  readonly streamName: string;
  readonly leaseTableName: string;
  readonly applicationName: string;
  /** The stream-reader's registered consumer of the stream and its HTTP/2 client, when the stream is read by enhanced fan-out. */
  readonly fanOut?: FanOutConsumer;
  cleanup(): Promise<void>;
}

/** A fixture on one of the stream-reader's raw streams: the history lane it polls, or the live one it subscribes to. */
async function rawStreamFixture(stream: 'raw' | 'rawHistory', shards: number): Promise<KinesisFixture> {
  const own = await testStack({ shards: { [stream]: shards } });
  const reader = own.as('stream-reader');
  return {
    env: own.env,
    kinesis: reader.kinesis,
    dynamodb: reader.dynamodb,
    producer: own.as('crawler').kinesis,
    operator: own.operator,
    stack: own.stack,
    streamName: own.names.streams[stream],
    leaseTableName: own.names.tables.leases,
    applicationName: uniqueName('app'),
    ...(stream === 'raw' ? { fanOut: { consumerArn: own.names.consumerArns.rawReader, kinesis: reader.kinesisFanOut } } : {}),
    cleanup: () => own.cleanup(),
  };
}

export function kinesisFixture(shards: number): Promise<KinesisFixture> {
  return rawStreamFixture('rawHistory', shards);
}

/** The same on the live raw stream, which the stream-reader role reads by enhanced fan-out as its registered consumer. */
export function fanOutFixture(shards: number): Promise<KinesisFixture> {
  return rawStreamFixture('raw', shards);
}

/** Every record a test consumer handed to the application, in the order it was handed. */
export interface Processed {
  readonly records: { shardId: string; record: KinesisRecord; workerId: string }[];
  readonly poison: PoisonRecord[];
  /** Distinct data strings processed. */
  distinct(): Set<string>;
}

export function processedLog(): Processed {
  const records: Processed['records'] = [];
  return {
    records,
    poison: [],
    distinct: () => new Set(records.map((r) => Buffer.from(r.record.data).toString('utf8'))),
  };
}

type ConsumerOverrides = Partial<ShardConsumerOptions> & { fail?: (record: KinesisRecord, context: ShardContext) => boolean };

/** A consumer on the fixture that logs what it processes into `log`. */
export function testConsumer(fx: KinesisFixture, log: Processed, overrides: ConsumerOverrides = {}): ShardConsumer {
  const { fail, ...options } = overrides;
  return new ShardConsumer({
    kinesis: fx.kinesis,
    dynamodb: fx.dynamodb,
    streamName: fx.streamName,
    leaseTableName: fx.leaseTableName,
    applicationName: fx.applicationName,
    logger: silentLogger(),
    processRecords: async (batch, context) => {
      if (fail !== undefined && batch.some((r) => fail(r, context))) throw new Error('injected processing failure');
      for (const record of batch) log.records.push({ shardId: context.shardId, record, workerId: context.workerId });
    },
    onPoisonRecord: async (poison) => {
      log.poison.push(poison);
    },
    ...FAST_LEASES,
    ...(fx.fanOut === undefined ? {} : { fanOut: fx.fanOut }),
    ...options,
  });
}

/** Puts `count` records `${prefix}-${i}` with keys from `key(i)`; resolves with their data strings. */
export async function putMany(fx: KinesisFixture, count: number, prefix: string, key: (i: number) => string = (i) => `user-${i % 97}`): Promise<string[]> {
  const producer = new KinesisProducer({ kinesis: fx.producer, streamName: fx.streamName, logger: silentLogger(), preserveKeyOrder: false });
  const data = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  await Promise.all(data.map((d, i) => producer.put({ data: d, partitionKey: key(i) })));
  await producer.close();
  return data;
}

/** Polls `check` until it returns true; throws with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000, intervalMs = 25): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return Date.now() - started;
}

export async function listShards(fx: KinesisFixture): Promise<Shard[]> {
  return (await fx.operator.kinesis.send(new ListShardsCommand({ StreamName: fx.streamName }))).Shards ?? [];
}

export async function waitForActive(fx: KinesisFixture): Promise<void> {
  await waitFor('stream ACTIVE', async () => {
    const summary = await fx.operator.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: fx.streamName }));
    return summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE';
  });
}

/** The lease table's shard leases as stored (heartbeats left out), for assertions that trust no worker's own view. */
export async function leaseItems(fx: KinesisFixture): Promise<{ leaseKey: string; owner: string | undefined; checkpoint: string; parents: string[] }[]> {
  const { Items } = await fx.operator.dynamodb.send(
    new QueryCommand({
      TableName: fx.leaseTableName,
      KeyConditionExpression: '#app = :app',
      ExpressionAttributeNames: { '#app': 'application' },
      ExpressionAttributeValues: { ':app': { S: fx.applicationName } },
      ConsistentRead: true,
    }),
  );
  return (Items ?? []).filter((item) => !(item['leaseKey']?.S ?? '').startsWith('worker#')).map((item) => ({
    leaseKey: item['leaseKey']?.S ?? '',
    owner: item['leaseOwner']?.S,
    checkpoint: item['checkpoint']?.S ?? '',
    parents: (item['parentShardIds']?.L ?? []).map((v) => v.S ?? ''),
  }));
}

/** Unfinished leases per owner, from the table. */
export async function leaseCounts(fx: KinesisFixture): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const lease of await leaseItems(fx)) {
    if (lease.checkpoint === 'SHARD_END') continue;
    const owner = lease.owner ?? '(free)';
    counts.set(owner, (counts.get(owner) ?? 0) + 1);
  }
  return counts;
}

type AnyClient = { middlewareStack: { add: (middleware: never, options: { step: 'initialize'; name: string }) => void } };

/**
 * Makes some calls fail before they are sent, as AWS would refuse them: `fault` sees the
 * command name and the how-manieth call of that command it is, and returns an error to throw.
 * Thrown in the initialize step, before the SDK's own retries, so the library sees every one.
 */
export function injectFaults(client: KinesisClient | DynamoDBClient, fault: (commandName: string, n: number, input: Record<string, unknown>) => Error | undefined): void {
  const calls = new Map<string, number>();
  const middleware = (next: (args: { input: Record<string, unknown> }) => Promise<unknown>, context: { commandName: string }) => async (args: { input: Record<string, unknown> }) => {
    const n = (calls.get(context.commandName) ?? 0) + 1;
    calls.set(context.commandName, n);
    const error = fault(context.commandName, n, args.input);
    if (error !== undefined) throw error;
    return next(args);
  };
  (client as unknown as AnyClient).middlewareStack.add(middleware as never, { step: 'initialize', name: `testFaults-${Math.random()}` });
}

/** Every record's sequence number per shard, read straight from the stream (up to 10,000 per shard). */
export async function sequenceNumbers(fx: KinesisFixture): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>();
  for (const shard of await listShards(fx)) {
    const shardId = shard.ShardId as string;
    const { ShardIterator } = await fx.operator.kinesis.send(new GetShardIteratorCommand({ StreamName: fx.streamName, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }));
    const { Records } = await fx.operator.kinesis.send(new GetRecordsCommand({ ShardIterator }));
    result.set(shardId, (Records ?? []).map((r) => r.SequenceNumber as string));
  }
  return result;
}
