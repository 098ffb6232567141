import { ShardConsumer, ShardReadBudget } from '../../shared/kinesis/index.js';
import type { ConsumerMetrics, KinesisRecord } from '../../shared/kinesis/index.js';
import type { Logger } from '../../shared/logger.js';
import { ArchiveBuffer } from './archive-buffer.js';
import type { BufferedRecord } from './archive-buffer.js';
import { archiveWriter } from './archive-writer.js';
import type { LocalArchiverOptions, ResolvedArchiverOptions } from './archiver-options.js';
import { resolveArchiverOptions } from './archiver-options.js';
import { DrainTimeoutError } from './errors.js';

// Records the consumer may hold unacknowledged: a full buffer of small records, and then some.
const MAX_IN_FLIGHT_RECORDS = 100_000;
const MAX_IN_FLIGHT_BATCHES = 1_000;

function toBuffered(record: KinesisRecord): BufferedRecord {
  return { data: record.data, arrival: record.approximateArrivalTimestamp ?? new Date() };
}

/**
 * A stand-in for Kinesis Data Firehose, for the local environment only (in AWS, and with
 * LocalStack, Firehose itself archives the raw stream). It reads the raw stream with the project's
 * shard consumer (application `archiver`, leases in the lease table) and writes GZIP NDJSON objects
 * to the raw archive bucket with Firehose's key layout (`raw/year=/month=/day=/hour=/` and
 * `<delivery stream>-1-YYYY-MM-DD-HH-MM-SS-<uuid>.ndjson.gz`, times being the oldest record's
 * arrival in UTC), buffering by size and interval as Firehose's buffering hints do. A batch of
 * records is acknowledged to the consumer, and so checkpointed, only once the object holding its
 * last record is written.
 *
 * @example
 * const archiver = new LocalArchiver({ kinesis, dynamodb, s3, streamName: names.streams.raw,
 *   leaseTableName: names.tables.leases, bucket: names.buckets.rawArchive,
 *   deliveryStreamName: deliveryStreamName('local'), bufferIntervalMs: 1_000 });
 * await archiver.start();
 * // ...
 * await archiver.close(); // flushes what is buffered, checkpoints, releases the leases
 */
export class LocalArchiver {
  private readonly options: ResolvedArchiverOptions;
  private readonly log: Logger;
  private readonly buffer: ArchiveBuffer;
  private readonly consumer: ShardConsumer;
  private closing: Promise<void> | undefined;

  public constructor(options: LocalArchiverOptions) {
    this.options = resolveArchiverOptions(options);
    this.log = this.options.logger.child({ component: 'local-archiver' });
    const write = archiveWriter({ s3: this.options.s3, bucket: this.options.bucket, deliveryStreamName: this.options.deliveryStreamName, prefix: this.options.prefix });
    this.buffer = new ArchiveBuffer({
      maxBytes: this.options.bufferSizeBytes,
      intervalMs: this.options.bufferIntervalMs,
      write: async (records) => {
        const key = await write(records);
        this.log.debug({ key, records: records.length }, 'archive object written');
      },
    });
    this.consumer = new ShardConsumer({
      kinesis: this.options.kinesis,
      dynamodb: this.options.dynamodb,
      streamName: this.options.streamName,
      leaseTableName: this.options.leaseTableName,
      applicationName: this.options.applicationName,
      logger: this.options.logger,
      ...this.options.consumer,
      // Batches wait in the buffer until their object is written; reading must go on meanwhile.
      maxInFlightBatches: MAX_IN_FLIGHT_BATCHES,
      maxInFlightRecords: MAX_IN_FLIGHT_RECORDS,
      // Firehose's cadence (one GetRecords a second per shard), through the same shard limits as
      // every reader: the stream-reader's share of the raw stream's reads is sized around it.
      maxGetRecordsPerSecond: ShardReadBudget.firehose,
      processRecords: (batch) => this.buffer.add(batch.map(toBuffered)),
      // A record whose batch kept failing is not bad data (the archive takes any bytes) but a
      // write that kept failing: it is written alone, and if that fails too the consumer retries.
      onPoisonRecord: async ({ record }) => {
        await write([toBuffered(record)]);
      },
    });
  }

  public start(): Promise<void> {
    return this.consumer.start();
  }

  /** Writes whatever is buffered now. */
  public flush(): Promise<void> {
    return this.buffer.flush();
  }

  /**
   * Waits until the archiver has read to the tip of every shard and written everything it read:
   * for the local runner, before the batch job runs over the archive. Every record put before the
   * call is in the archive when it resolves.
   */
  public async drain(timeoutMs = 30_000): Promise<void> {
    const started = Date.now();
    const deadline = started + timeoutMs;
    // Each shard's answer time when everything read had been written; settled once every shard has
    // answered again since. kinesalite reports 0 ms behind whatever is left, so "0 behind and
    // nothing in flight" also held between two idle reads (a second apart), and the batch job then
    // missed the stream's last second. A read answered after that first settled moment started
    // after the call began, so it saw every record put before it.
    let settledAt: Map<string, number> | undefined;
    for (;;) {
      await this.buffer.flush();
      const metrics = this.consumer.metrics();
      const idle =
        metrics.shards.length > 0 &&
        metrics.shards.every((s) => s.millisBehindLatest === 0 && s.recordsInFlight === 0 && (s.lastReadAt ?? 0) > started) &&
        this.buffer.buffered.records === 0;
      if (!idle) settledAt = undefined;
      else if (settledAt === undefined) settledAt = new Map(metrics.shards.map((s) => [s.shardId, s.lastReadAt ?? 0]));
      else if (metrics.shards.every((s) => (s.lastReadAt ?? 0) > (settledAt?.get(s.shardId) ?? Infinity))) return;
      if (Date.now() > deadline) throw new DrainTimeoutError(timeoutMs);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  public metrics(): { readonly consumer: ConsumerMetrics; readonly written: ArchiveBuffer['totals']; readonly buffered: ArchiveBuffer['buffered'] } {
    return { consumer: this.consumer.metrics(), written: this.buffer.totals, buffered: this.buffer.buffered };
  }

  /**
   * Flushes and writes every record read, checkpoints and releases the leases. Idempotent: a
   * second call returns the same promise.
   */
  public close(): Promise<void> {
    this.closing ??= (async () => {
      // Records the consumer hands over while it shuts down are written at once, so its wait for
      // in-flight batches ends with their objects, not with the buffer interval.
      try {
        const draining = this.buffer.drainMode();
        await this.consumer.close();
        await draining;
        await this.buffer.flush();
        this.log.info({ written: this.buffer.totals }, 'archiver closed');
      } finally {
        this.options.onClosed?.();
      }
    })();
    return this.closing;
  }
}
