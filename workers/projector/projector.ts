import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { ShardConsumer } from '../../shared/kinesis/index.js';
import type { KinesisRecord, PoisonRecord, ShardConsumerOptions, ShardContext } from '../../shared/kinesis/index.js';
import type { Logger } from '../../shared/logger.js';
import { silentLogger } from '../../shared/logger.js';
import { RejectCode } from '../../shared/schemas/reject-codes.js';
import { RejectStage, buildRejectRecord } from '../../shared/rejects/reject-record.js';
import type { RejectSource } from '../../shared/rejects/reject-record.js';
import type { ScoredResult } from '../../shared/schemas/scored-result.js';
import type { RejectStore } from '../../shared/rejects/reject-store.js';
import { ProjectorError, UnwritableItemsError } from './errors.js';
import { readResultsRecord } from './result-parser.js';
import type { EntryPlace } from './result-parser.js';
import { ViewWriter } from './view-writer.js';
import type { ViewWriterOptions, WriterStats } from './view-writer.js';

/** A result's place in a packed record and its own JSON as the reject's raw input; nothing for a single-result record (the record is the raw input). */
function placeOf(entry: EntryPlace & { readonly result: ScoredResult }): EntryPlace & { readonly raw?: string } {
  return entry.subSequenceNumber === undefined ? {} : { subSequenceNumber: entry.subSequenceNumber, raw: JSON.stringify(entry.result) };
}

/** The lease-table partition of the projector: its own leases and checkpoints on the results stream. */
export const PROJECTOR_APPLICATION = 'projector' as const;
/** Each lane's results stream is a consuming application of its own (the live one keeps the name it always had). */
export const PROJECTOR_APPLICATIONS = { live: PROJECTOR_APPLICATION, history: `${PROJECTOR_APPLICATION}-history` } as const;

/** Consumer options the projector sets itself. */
type OwnConsumerOptions = 'kinesis' | 'dynamodb' | 'streamName' | 'leaseTableName' | 'applicationName' | 'processRecords' | 'onPoisonRecord' | 'logger';

export interface ProjectorOptions {
  /** Injected, never built here. */
  readonly kinesis: KinesisClient;
  readonly dynamodb: DynamoDBClient;
  /** A results stream: RESULTS_STREAM_NAME or RESULTS_HISTORY_STREAM_NAME. */
  readonly streamName: string;
  /** Lease-table partition: one per stream read. @default PROJECTOR_APPLICATION (the live lane's) */
  readonly applicationName?: string;
  readonly leaseTableName: string;
  readonly viewTableName: string;
  /** Where malformed and unprojectable records go. */
  readonly rejectStore: RejectStore;
  /** @default a silent logger */
  readonly logger?: Logger;
  /** Passed to the `ShardConsumer` (failover, read idle time, batch size, shutdown budget...). */
  readonly consumer?: Partial<Omit<ShardConsumerOptions, OwnConsumerOptions>>;
  /** Passed to the `ViewWriter` (requests in flight, retries, retention). */
  readonly writer?: Partial<Omit<ViewWriterOptions, 'dynamodb' | 'tableName' | 'logger'>>;
  /**
   * The health check fails once batches have failed without a success for this long: the shard is
   * stuck (DynamoDB unreachable, a table missing) and an operator should know.
   * @default 60_000
   */
  readonly unhealthyAfterMs?: number;
  /** @default () => new Date() */
  readonly clock?: () => Date;
}

/** What the health endpoint shows for the projector. */
export interface ProjectorHealth {
  readonly workerId: string;
  readonly leasesHeld: number;
  readonly shards: readonly string[];
  /** When the last batch completed (ISO), or null before the first. */
  readonly lastBatchAt: string | null;
  /** Since when batches have been failing without a success (ISO), or null. */
  readonly failingSince: string | null;
  readonly rejected: number;
  readonly writer: WriterStats;
}

/**
 * The projector role: consumes the results stream with shard leases (application `projector`)
 * and writes each batch into the view through `ViewWriter`, so a replay or a redelivery changes
 * nothing. Malformed records go to the reject store as `malformed-record`; a record that can never
 * be written (isolated by the consumer's bisection) as `unprojectable`.
 *
 * @example
 * const projector = new Projector({ kinesis, dynamodb, streamName, leaseTableName, viewTableName, rejectStore });
 * await projector.start();
 * health.addCheck('projector', () => projector.health());
 * process.once('SIGTERM', () => void projector.close());
 */
export class Projector {
  public readonly writer: ViewWriter;
  private readonly consumer: ShardConsumer;
  private readonly streamName: string;
  private readonly rejectStore: RejectStore;
  private readonly log: Logger;
  private readonly unhealthyAfterMs: number;
  private readonly clock: () => Date;
  private lastBatchAt: Date | undefined;
  private failingSince: Date | undefined;
  private rejected = 0;
  private closing: Promise<void> | undefined;

  public constructor(options: ProjectorOptions) {
    this.streamName = options.streamName;
    this.rejectStore = options.rejectStore;
    const logger = options.logger ?? silentLogger();
    this.log = logger.child({ component: 'projector' });
    this.unhealthyAfterMs = options.unhealthyAfterMs ?? 60_000;
    this.clock = options.clock ?? (() => new Date());
    this.writer = new ViewWriter({ ...options.writer, dynamodb: options.dynamodb, tableName: options.viewTableName, logger: this.log });
    this.consumer = new ShardConsumer({
      ...options.consumer,
      kinesis: options.kinesis,
      dynamodb: options.dynamodb,
      streamName: options.streamName,
      leaseTableName: options.leaseTableName,
      applicationName: options.applicationName ?? PROJECTOR_APPLICATION,
      processRecords: (batch, context) => this.processRecords(batch, context),
      onPoisonRecord: (poison) => this.onPoisonRecord(poison),
      // The consumer names its own component; ours would appear twice on its lines.
      logger,
    });
  }

  /** Takes leases and starts reading; rejects if the stream or lease table cannot be used. */
  public start(): Promise<void> {
    return this.consumer.start();
  }

  /** Stops reading, lets in-flight batches finish, checkpoints and releases the leases. Idempotent. */
  public close(): Promise<void> {
    this.closing ??= this.consumer.close();
    return this.closing;
  }

  /** For the /health endpoint: throws (unhealthy) when batches have kept failing for `unhealthyAfterMs`. */
  public health(): ProjectorHealth {
    const shards = this.consumer.heldShards();
    const report: ProjectorHealth = {
      workerId: this.consumer.workerId,
      leasesHeld: shards.length,
      shards,
      lastBatchAt: this.lastBatchAt?.toISOString() ?? null,
      failingSince: this.failingSince?.toISOString() ?? null,
      rejected: this.rejected,
      writer: this.writer.stats,
    };
    if (this.failingSince !== undefined && this.clock().getTime() - this.failingSince.getTime() > this.unhealthyAfterMs) {
      throw new ProjectorError(`view writes failing since ${report.failingSince} (last batch ${report.lastBatchAt ?? 'never'})`);
    }
    return report;
  }

  /** The consumer's figures (leases, records per second, checkpoints). */
  public consumerMetrics(): ReturnType<ShardConsumer['metrics']> {
    return this.consumer.metrics();
  }

  /**
   * One batch: malformed records to the reject store, the rest into the view. Resolves only when
   * both are durable, so the consumer's checkpoint never passes a record that is in neither.
   */
  public async processRecords(batch: readonly KinesisRecord[], context: Pick<ShardContext, 'shardId' | 'signal'>): Promise<void> {
    try {
      const results: ScoredResult[] = [];
      for (const record of batch) {
        for (const entry of readResultsRecord(record.data)) {
          if ('result' in entry) results.push(entry.result);
          else await this.reject(RejectCode.MalformedRecord, entry.error.message, context.shardId, record, entry.error.transactionId, entry);
        }
      }
      const written = results.length === 0 ? undefined : await this.writer.write(results, { signal: context.signal });
      this.lastBatchAt = this.clock();
      this.failingSince = undefined;
      this.log.debug({ shardId: context.shardId, records: batch.length, ...written }, 'batch projected');
    } catch (error) {
      this.failingSince ??= this.clock();
      this.log.warn({ err: error, shardId: context.shardId, records: batch.length }, 'batch failed; the consumer retries it');
      throw error;
    }
  }

  /**
   * A record that failed alone after its retries. Only a result DynamoDB refuses for good is
   * rejected as `unprojectable`; one that failed for a passing reason (conflicts, throttling, an
   * outage) is written once more here and, if that still fails, this throws so the consumer keeps
   * retrying: the shard waits rather than setting a good result aside. The results of a packed
   * record are then written one at a time, so only the ones refused alone are set aside.
   */
  public async onPoisonRecord(poison: Pick<PoisonRecord, 'shardId' | 'record' | 'error'>): Promise<void> {
    const results: (EntryPlace & { result: ScoredResult })[] = [];
    for (const entry of readResultsRecord(poison.record.data)) {
      if ('result' in entry) results.push(entry);
      else await this.reject(RejectCode.MalformedRecord, entry.error.message, poison.shardId, poison.record, entry.error.transactionId, entry);
    }
    if (results.length === 0) return;
    let error = poison.error;
    if (!(error instanceof UnwritableItemsError)) {
      try {
        await this.writer.write(results.map((r) => r.result));
        return;
      } catch (retryError) {
        if (!(retryError instanceof UnwritableItemsError)) throw retryError;
        error = retryError;
      }
    }
    // A single-result record is already alone; a packed one's results are tried one at a time.
    if (results.length === 1) {
      const [only] = results as [EntryPlace & { result: ScoredResult }];
      await this.reject(RejectCode.Unprojectable, (error as Error).message, poison.shardId, poison.record, only.result.transactionId, placeOf(only));
      return;
    }
    for (const one of results) {
      try {
        await this.writer.write([one.result]);
      } catch (aloneError) {
        if (!(aloneError instanceof UnwritableItemsError)) throw aloneError;
        await this.reject(RejectCode.Unprojectable, aloneError.message, poison.shardId, poison.record, one.result.transactionId, placeOf(one));
      }
    }
  }

  /** `place` names a result of a packed record (its index, and its own JSON as the raw input); none, the whole record. */
  private async reject(code: string, message: string, shardId: string, record: KinesisRecord, transactionId: string | undefined, place: EntryPlace & { readonly raw?: string } = {}): Promise<void> {
    const source: RejectSource = { stream: this.streamName, shardId, sequenceNumber: record.sequenceNumber, ...(place.subSequenceNumber === undefined ? {} : { subSequenceNumber: place.subSequenceNumber }) };
    const reject = buildRejectRecord({
      code,
      message,
      stage: RejectStage.Projector,
      source,
      raw: place.raw ?? Buffer.from(record.data).toString('utf8'),
      ...(transactionId === undefined ? {} : { transactionId }),
      now: this.clock(),
    });
    const stored = await this.rejectStore.put(reject);
    if (stored) this.rejected += 1;
    this.log.warn({ code, shardId, sequenceNumber: record.sequenceNumber, subSequenceNumber: place.subSequenceNumber, transactionId, rejectId: reject.rejectId }, 'record rejected');
  }
}
