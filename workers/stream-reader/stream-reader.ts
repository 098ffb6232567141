import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { ShardConsumer } from '../../shared/kinesis/index.js';
import { ShardReadBudget } from '../../shared/kinesis/constants.js';
import type { ConsumerMetrics } from '../../shared/kinesis/index.js';
import type { FanOutConsumer } from '../../shared/kinesis/consumer-options.js';
import type { Logger } from '../../shared/logger.js';
import { silentLogger } from '../../shared/logger.js';
import type { DispatcherCounters, ScoringDispatcher } from './scoring-dispatcher.js';

/** The lease-table partition of this application: each consuming application has its own leases. */
export const STREAM_READER_APPLICATION = 'stream-reader' as const;
/** Each lane's raw stream is a consuming application of its own: its leases and checkpoints apart (the live one keeps the name it always had). */
export const STREAM_READER_APPLICATIONS = { live: STREAM_READER_APPLICATION, history: `${STREAM_READER_APPLICATION}-history` } as const;

export interface StreamReaderOptions {
  /** Injected, never built here. */
  readonly kinesis: KinesisClient;
  readonly dynamodb: DynamoDBClient;
  /** RAW_STREAM_NAME or RAW_HISTORY_STREAM_NAME. */
  readonly streamName: string;
  /** RAW_CONSUMER_ARN and the HTTP/2 client: the stream is read by enhanced fan-out. @default polled with GetRecords */
  readonly fanOut?: FanOutConsumer;
  /** Lease-table partition: one per stream read. @default STREAM_READER_APPLICATION (the live lane's) */
  readonly applicationName?: string;
  /** LEASE_TABLE_NAME. */
  readonly leaseTableName: string;
  /** Its READER_MAX_IN_FLIGHT_JOBS and READER_JOB_MAX_RECORDS also bound what the consumer reads ahead, so the two never disagree. */
  readonly dispatcher: ScoringDispatcher;
  /** LEASE_FAILOVER_MS. @default 10_000 */
  readonly failoverTimeMs?: number;
  /** READ_IDLE_MS. @default the consumer's, which is the contract's */
  readonly idleTimeBetweenReadsMs?: number;
  /** GET_RECORDS_LIMIT: records per GetRecords call and per batch. @default 1_000 */
  readonly getRecordsLimit?: number;
  /** Time `close()` lets in-flight jobs finish before checkpointing and releasing. @default 10_000 ms */
  readonly shutdownTimeoutMs?: number;
  /** Least time between two checkpoint writes of a shard. @default the consumer's (1_000 ms) */
  readonly checkpointIntervalMs?: number;
  /** Consumer retries of a failing batch before it bisects. @default the consumer's (3) */
  readonly maxBatchRetries?: number;
  /** First retry delay of a failing batch. @default the consumer's (100 ms) */
  readonly backoffBaseMs?: number;
  /** @default the consumer's (a host-pid-random id) */
  readonly workerId?: string;
  /** @default a silent logger */
  readonly logger?: Logger;
}

/**
 * The stream-reader: the shard consumer on the raw stream, whose batches the dispatcher turns into
 * scoring jobs. The consumer reads ahead at most the dispatcher's `maxInFlightJobsPerShard` batches
 * and `maxInFlightJobsPerShard × maxRecordsPerJob` records per shard, and the dispatcher holds at
 * most that many jobs per shard, so a slow scorer stops reading instead of filling Redis.
 *
 * @example
 * const reader = new StreamReader({ kinesis, dynamodb, streamName, leaseTableName, dispatcher });
 * await reader.start();
 * // on SIGTERM: stops reading, lets jobs finish, checkpoints and releases the leases
 * await reader.close();
 */
export class StreamReader {
  private readonly consumer: ShardConsumer;
  private readonly dispatcher: ScoringDispatcher;
  private closing: Promise<void> | undefined;

  public constructor(options: StreamReaderOptions) {
    const logger = options.logger ?? silentLogger();
    this.dispatcher = options.dispatcher;
    const getRecordsLimit = options.getRecordsLimit ?? 1_000;
    this.consumer = new ShardConsumer({
      kinesis: options.kinesis,
      dynamodb: options.dynamodb,
      streamName: options.streamName,
      leaseTableName: options.leaseTableName,
      applicationName: options.applicationName ?? STREAM_READER_APPLICATION,
      logger,
      processRecords: this.dispatcher.processRecords,
      onPoisonRecord: this.dispatcher.onPoisonRecord,
      maxRecordsPerCall: getRecordsLimit,
      maxBatchSize: getRecordsLimit,
      // Each batch makes at least one job, so more batches than jobs could never all be in flight.
      maxInFlightBatches: this.dispatcher.maxInFlightJobsPerShard,
      maxInFlightRecords: this.dispatcher.maxInFlightJobsPerShard * this.dispatcher.maxRecordsPerJob,
      // The contract allows READ_IDLE_MS=0 (read again at once); the consumer wants a positive wait.
      ...(options.idleTimeBetweenReadsMs === undefined ? {} : { idleTimeBetweenReadsMs: Math.max(1, options.idleTimeBetweenReadsMs) }),
      // Firehose reads the raw stream too: the shard's five calls a second are shared.
      maxGetRecordsPerSecond: ShardReadBudget.streamReader,
      ...(options.fanOut === undefined ? {} : { fanOut: options.fanOut }),
      ...(options.failoverTimeMs === undefined ? {} : { failoverTimeMs: options.failoverTimeMs }),
      ...(options.shutdownTimeoutMs === undefined ? {} : { shutdownTimeoutMs: options.shutdownTimeoutMs }),
      ...(options.checkpointIntervalMs === undefined ? {} : { checkpointIntervalMs: options.checkpointIntervalMs }),
      ...(options.maxBatchRetries === undefined ? {} : { maxBatchRetries: options.maxBatchRetries }),
      ...(options.backoffBaseMs === undefined ? {} : { backoffBaseMs: options.backoffBaseMs }),
      ...(options.workerId === undefined ? {} : { workerId: options.workerId }),
    });
  }

  public get workerId(): string {
    return this.consumer.workerId;
  }

  /** Takes a first share of the leases and starts reading. */
  public start(): Promise<void> {
    return this.consumer.start();
  }

  public metrics(): { consumer: ConsumerMetrics; dispatcher: DispatcherCounters; jobsInFlight: Record<string, number> } {
    return { consumer: this.consumer.metrics(), dispatcher: this.dispatcher.counters(), jobsInFlight: this.dispatcher.jobsInFlight() };
  }

  /** Stops reading, lets in-flight jobs finish within the shutdown timeout, checkpoints and releases. Idempotent. */
  public close(): Promise<void> {
    this.closing ??= this.consumer.close();
    return this.closing;
  }
}
