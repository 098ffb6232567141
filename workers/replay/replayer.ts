import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import { RAW_ARCHIVE_PREFIX } from '../../shared/analytics-schema.js';
import { KinesisProducer } from '../../shared/kinesis/index.js';
import type { Logger } from '../../shared/logger.js';
import { silentLogger } from '../../shared/logger.js';
import { streamPartitionKey } from '../../shared/schemas/stream-partition-key.js';
import { parseArchiveKey } from '../../shared/archive/archive-key.js';
import { decodeArchiveObject } from '../../shared/archive/archive-object.js';
import { CorruptObjectError } from '../../shared/archive/errors.js';
import { getBytes, listObjects } from '../lib/s3-objects.js';
import type { ListedObject } from '../lib/s3-objects.js';
import { ReplayOptionError, ReplayPutError } from './errors.js';
import { Pacer } from './pacer.js';
import { inWindow, windowPrefixes } from './replay-window.js';
import type { ReplayWindow } from './replay-window.js';

/** What one shard accepts per second (Kinesis limits). */
export const SHARD_RECORDS_PER_SECOND = 1_000;
export const SHARD_BYTES_PER_SECOND = 1024 * 1024;

export interface ReplayerOptions {
  /** Injected, never built here. */
  readonly s3: S3Client;
  readonly kinesis: KinesisClient;
  readonly rawArchiveBucket: string;
  /** The stream the records go back on: the history lane's raw stream (RAW_HISTORY_STREAM_NAME), since a replay is a backfill. */
  readonly streamName: string;
  /** @default 'raw/' */
  readonly prefix?: string;
  /** @default a silent logger */
  readonly logger?: Logger;
  /** Records waiting for Kinesis at once; reading pauses beyond it. @default 5_000 */
  readonly maxPending?: number;
}

export interface ReplayRunOptions extends ReplayWindow {
  /**
   * Records per second. @default the stream's write capacity: 1,000 per open shard (1 shard when
   * the stream cannot be described, as the replay task role may only put)
   */
  readonly rate?: number;
  readonly onProgress?: (progress: ReplayProgress) => void;
  /** Stops between records; what was put stays put. */
  readonly signal?: AbortSignal;
}

export interface ReplayProgress {
  readonly objectsTotal: number;
  readonly objectsDone: number;
  readonly put: number;
  readonly skipped: number;
}

export interface ReplaySummary {
  readonly from: string;
  readonly to: string;
  /** Archive objects in the window. */
  readonly objects: number;
  /** Lines read from them. */
  readonly records: number;
  /** Records Kinesis accepted. */
  readonly put: number;
  /** Lines that could not be put back (no userId to key them by, or an unreadable object's). */
  readonly skipped: number;
  readonly ratePerSecond: number;
  readonly seconds: number;
}

function partitionKeyOf(line: string): string | undefined {
  try {
    const transaction = (JSON.parse(line) as { transaction?: { userId?: unknown; bookedAt?: unknown } } | null)?.transaction;
    const userId = transaction?.userId;
    if (typeof userId !== 'string' || userId.length === 0) return undefined;
    const key = streamPartitionKey({ userId, bookedAt: typeof transaction?.bookedAt === 'string' ? transaction.bookedAt : '' });
    return key.length <= 256 ? key : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Replay: puts the raw records archived in a time window back on the history lane's raw stream (a replay is a backfill: live records never wait behind it), in arrival order,
 * each exactly as the crawler first put it, keyed by its `userId`, paced to the stream's write
 * capacity. Every sink downstream is idempotent by `transactionId`, so replaying processed data
 * changes nothing, and replaying after the view was lost rebuilds it.
 *
 * @example
 * const replayer = new Replayer({ s3, kinesis, rawArchiveBucket, streamName });
 * const summary = await replayer.run({ from: new Date('2026-11-25T00:00:00Z'), to: new Date('2026-11-26T00:00:00Z') });
 */
export class Replayer {
  private readonly prefix: string;
  private readonly log: Logger;
  private readonly maxPending: number;

  public constructor(private readonly options: ReplayerOptions) {
    this.prefix = options.prefix ?? RAW_ARCHIVE_PREFIX;
    this.log = (options.logger ?? silentLogger()).child({ component: 'replayer' });
    this.maxPending = options.maxPending ?? 5_000;
    if (!Number.isInteger(this.maxPending) || this.maxPending < 1) throw new ReplayOptionError('maxPending', `must be a positive integer, got ${this.maxPending}`);
  }

  /** 1,000 records/s per open shard; one shard's worth when the stream cannot be described. */
  public async streamCapacity(): Promise<{ shards: number; recordsPerSecond: number; bytesPerSecond: number }> {
    let shards = 1;
    try {
      const summary = await this.options.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: this.options.streamName }));
      shards = Math.max(1, summary.StreamDescriptionSummary?.OpenShardCount ?? 1);
    } catch (error) {
      this.log.warn({ err: error }, 'cannot describe the stream; pacing to one shard');
    }
    return { shards, recordsPerSecond: shards * SHARD_RECORDS_PER_SECOND, bytesPerSecond: shards * SHARD_BYTES_PER_SECOND };
  }

  /** The window's archive objects, oldest first. */
  public async objectsIn(window: ReplayWindow): Promise<ListedObject[]> {
    const objects: ListedObject[] = [];
    for (const prefix of windowPrefixes(window, this.prefix)) {
      for await (const object of listObjects(this.options.s3, this.options.rawArchiveBucket, prefix)) {
        if (inWindow(object.key, window)) objects.push(object);
      }
    }
    const time = (key: string): number => parseArchiveKey(key)?.timestamp.getTime() ?? 0;
    return objects.sort((a, b) => time(a.key) - time(b.key) || a.key.localeCompare(b.key));
  }

  public async run(options: ReplayRunOptions): Promise<ReplaySummary> {
    const started = performance.now();
    if (options.rate !== undefined && !(Number.isFinite(options.rate) && options.rate > 0)) {
      throw new ReplayOptionError('--rate', `must be a positive number of records per second, got ${options.rate}`);
    }
    const capacity = await this.streamCapacity();
    const rate = options.rate ?? capacity.recordsPerSecond;
    // A tenth of a second of burst: smooth enough for the shards, large enough to fill PutRecords calls.
    const records = new Pacer(rate, Math.max(1, Math.ceil(rate / 10)));
    const bytes = new Pacer(capacity.bytesPerSecond, Math.max(1, Math.ceil(capacity.bytesPerSecond / 10)));
    const objects = await this.objectsIn(options);
    const producer = new KinesisProducer({ kinesis: this.options.kinesis, streamName: this.options.streamName, logger: this.log });
    const counts = { objectsDone: 0, records: 0, put: 0, skipped: 0, failed: 0 };
    const report = (): void => options.onProgress?.({ objectsTotal: objects.length, objectsDone: counts.objectsDone, put: counts.put, skipped: counts.skipped });
    const pending = new Set<Promise<void>>();
    let firstError: unknown;
    this.log.info({ from: options.from.toISOString(), to: options.to.toISOString(), objects: objects.length, rate }, 'replay starting');
    try {
      for (const object of objects) {
        if (options.signal?.aborted) break;
        let lines: string[];
        try {
          lines = decodeArchiveObject(object.key, await getBytes(this.options.s3, this.options.rawArchiveBucket, object.key));
        } catch (error) {
          if (!(error instanceof CorruptObjectError)) throw error;
          // The batch job quarantines it; replay has nothing it can trust in it either.
          this.log.warn({ objectKey: object.key, reason: error.reason }, 'skipping an unreadable archive object');
          counts.objectsDone += 1;
          report();
          continue;
        }
        for (const line of lines) {
          if (options.signal?.aborted) break;
          counts.records += 1;
          const partitionKey = partitionKeyOf(line);
          if (partitionKey === undefined) {
            counts.skipped += 1;
            continue;
          }
          await records.take(1);
          await bytes.take(Buffer.byteLength(line) + Buffer.byteLength(partitionKey));
          const put = producer.put({ data: line, partitionKey }).then(
            () => {
              counts.put += 1;
            },
            (error: unknown) => {
              counts.failed += 1;
              firstError ??= error;
            },
          );
          pending.add(put);
          void put.finally(() => pending.delete(put));
          if (pending.size >= this.maxPending) await Promise.race(pending);
        }
        counts.objectsDone += 1;
        report();
      }
    } finally {
      await producer.close();
      await Promise.allSettled([...pending]);
    }
    report();
    if (counts.failed > 0) throw new ReplayPutError(counts.failed, { cause: firstError });
    const seconds = (performance.now() - started) / 1000;
    const summary: ReplaySummary = {
      from: options.from.toISOString(),
      to: options.to.toISOString(),
      objects: objects.length,
      records: counts.records,
      put: counts.put,
      skipped: counts.skipped,
      ratePerSecond: rate,
      seconds: Math.round(seconds * 100) / 100,
    };
    this.log.info({ summary }, 'replay finished');
    return summary;
  }
}
