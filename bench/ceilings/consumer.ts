import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from '@aws-sdk/client-kinesis';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { ensureTable } from '../../local/env/provision.js';
import { MAX_RECORDS_PER_GET } from '../../shared/kinesis/constants.js';
import { ShardConsumer } from '../../shared/kinesis/index.js';

export interface ConsumerControlOptions {
  readonly kinesis: KinesisClient;
  readonly dynamodb: DynamoDBClient;
  /** A stream already holding `records` records, read from TRIM_HORIZON by both loops. */
  readonly streamName: string;
  readonly records: number;
  /** A lease table of its own for the consumer, created here and deleted after. */
  readonly leaseTableName: string;
  /** Give up when the consumer has not seen every record by then. @default 120000 ms */
  readonly timeoutMs?: number;
}

/** Records read per CPU second of this process (user + system), and the CPU time itself. */
export interface CpuRate {
  readonly records: number;
  readonly cpuSeconds: number;
  readonly perCpuSecond: number;
}

export interface ConsumerControl {
  /** GetShardIterator and GetRecords alone, every shard from TRIM_HORIZON. */
  readonly bare: CpuRate;
  /** The shard consumer library (lease renewals, checkpoints, read-ahead) with a no-op `processRecords`, from the moment it reads. */
  readonly library: CpuRate;
  /** `start()` alone: listing shards, creating and taking leases, once per worker. */
  readonly libraryStartUpCpuSeconds: number;
}

const THROTTLED = new Set(['ProvisionedThroughputExceededException', 'LimitExceededException']);

/** CPU seconds this process spends in `work`: the bench runs nothing else meanwhile, the emulators are other processes. */
async function cpuOf<T>(work: () => Promise<T>): Promise<{ value: T; cpuSeconds: number }> {
  const before = process.cpuUsage();
  const value = await work();
  const used = process.cpuUsage(before);
  return { value, cpuSeconds: (used.user + used.system) / 1e6 };
}

const cpuRate = (records: number, cpuSeconds: number): CpuRate => ({
  records,
  cpuSeconds: Math.round(cpuSeconds * 1000) / 1000,
  perCpuSecond: cpuSeconds > 0 ? Math.round(records / cpuSeconds) : 0,
});

/**
 * The control row for the shard consumer library (issue 12, item 3): the same records read by a
 * bare GetRecords loop and by `ShardConsumer` with a no-op processor, each timed in CPU seconds of
 * this process (not wall time, which a shared machine skews), so their ratio is what the library
 * costs on top of the SDK's own reading.
 */
export async function consumerControl(options: ConsumerControlOptions): Promise<ConsumerControl> {
  const { kinesis, dynamodb, streamName } = options;
  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? [];
  const bare = await cpuOf(async () => {
    let read = 0;
    for (const shard of shards) {
      let iterator = (await kinesis.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
      while (iterator !== undefined) {
        try {
          const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: MAX_RECORDS_PER_GET }));
          read += page.Records?.length ?? 0;
          if ((page.MillisBehindLatest ?? 0) === 0 && (page.Records?.length ?? 0) === 0) break;
          iterator = page.NextShardIterator;
        } catch (error) {
          // The fronts hold each shard to five reads a second, as AWS does: wait, as any reader would.
          if (!THROTTLED.has((error as { name?: string }).name ?? '')) throw error;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    }
    return read;
  });

  await ensureTable(dynamodb, options.leaseTableName, 'leases');
  try {
    let seen = 0;
    let done: () => void = () => undefined;
    const all = new Promise<void>((resolve) => (done = resolve));
    const consumer = new ShardConsumer({
      kinesis,
      dynamodb,
      streamName,
      leaseTableName: options.leaseTableName,
      applicationName: 'bench-control',
      metricsIntervalMs: 0,
      processRecords: async (batch) => {
        seen += batch.length;
        if (seen >= options.records) done();
      },
      onPoisonRecord: async () => undefined,
    });
    const timeoutMs = options.timeoutMs ?? 120_000;
    let timer: NodeJS.Timeout | undefined;
    // Start-up (listing shards, creating and taking leases) is paid once per worker, not per
    // record: it is measured apart, and the rate counts from the moment the consumer is reading.
    const startUp = await cpuOf(() => consumer.start());
    const library = await cpuOf(async () => {
      await Promise.race([all, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`shard consumer saw ${seen} of ${options.records} records in ${timeoutMs} ms`)), timeoutMs)))]).finally(() => clearTimeout(timer));
      return seen;
    });
    await consumer.close();
    return { bare: cpuRate(bare.value, bare.cpuSeconds), library: cpuRate(library.value, library.cpuSeconds), libraryStartUpCpuSeconds: Math.round(startUp.cpuSeconds * 1000) / 1000 };
  } finally {
    await dynamodb.send(new DeleteTableCommand({ TableName: options.leaseTableName })).catch(() => undefined);
  }
}
