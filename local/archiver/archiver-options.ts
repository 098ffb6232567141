import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import { RAW_ARCHIVE_PREFIX } from '../../shared/analytics-schema.js';
import type { ShardConsumerOptions } from '../../shared/kinesis/index.js';
import type { Logger } from '../../shared/logger.js';
import { silentLogger } from '../../shared/logger.js';
import { ArchiverOptionError } from './errors.js';

/** Firehose's own minimum buffer interval is 0 s; a local archiver flushing more often than 1 s only makes tiny objects. */
export const MIN_BUFFER_INTERVAL_MS = 1_000;

/** Everything a `LocalArchiver` is built from. Sizes in bytes, times in milliseconds. */
export interface LocalArchiverOptions {
  /** Injected, never built here. */
  readonly kinesis: KinesisClient;
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  /** The raw stream. */
  readonly streamName: string;
  /** The shard-lease table (catalog `leases`); the archiver's leases are under its application name. */
  readonly leaseTableName: string;
  /** The raw archive bucket. */
  readonly bucket: string;
  /** The name objects carry, as Firehose's delivery stream name (see `deliveryStreamName(stack)`). */
  readonly deliveryStreamName: string;
  /** @default 'archiver' */
  readonly applicationName?: string;
  /** Firehose's buffering size hint. @default 5 MiB */
  readonly bufferSizeBytes?: number;
  /** Firehose's buffering interval hint, at least 1 s. @default 60_000 */
  readonly bufferIntervalMs?: number;
  /** @default 'raw/' */
  readonly prefix?: string;
  /** @default a silent logger */
  readonly logger?: Logger;
  /** Called once `close()` finished, e.g. to destroy clients built for this archiver alone. */
  readonly onClosed?: () => void;
  /** Consumer tuning (lease failover, read idle time); the archiver sets the in-flight limits itself. */
  readonly consumer?: Partial<Pick<ShardConsumerOptions, 'failoverTimeMs' | 'idleTimeBetweenReadsMs' | 'maxRecordsPerCall' | 'shutdownTimeoutMs' | 'workerId' | 'metricsIntervalMs'>>;
}

export interface ResolvedArchiverOptions extends Required<Omit<LocalArchiverOptions, 'logger' | 'consumer' | 'onClosed'>> {
  readonly logger: Logger;
  readonly onClosed: (() => void) | undefined;
  readonly consumer: NonNullable<LocalArchiverOptions['consumer']>;
}

/** Defaults first, then the caller's options; then each value is checked with a message naming it. */
export function resolveArchiverOptions(options: LocalArchiverOptions): ResolvedArchiverOptions {
  const resolved: ResolvedArchiverOptions = {
    applicationName: 'archiver',
    bufferSizeBytes: 5 * 1024 * 1024,
    bufferIntervalMs: 60_000,
    prefix: RAW_ARCHIVE_PREFIX,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
    logger: options.logger ?? silentLogger(),
    onClosed: options.onClosed,
    consumer: options.consumer ?? {},
  } as ResolvedArchiverOptions;
  for (const key of ['streamName', 'leaseTableName', 'bucket', 'deliveryStreamName', 'applicationName'] as const) {
    if (typeof resolved[key] !== 'string' || resolved[key] === '') throw new ArchiverOptionError(key, 'must be a non-empty string');
  }
  if (!Number.isInteger(resolved.bufferSizeBytes) || resolved.bufferSizeBytes < 1) {
    throw new ArchiverOptionError('bufferSizeBytes', `must be a positive integer, got ${resolved.bufferSizeBytes}`);
  }
  if (!Number.isInteger(resolved.bufferIntervalMs) || resolved.bufferIntervalMs < MIN_BUFFER_INTERVAL_MS) {
    throw new ArchiverOptionError('bufferIntervalMs', `must be a whole number of ms, at least ${MIN_BUFFER_INTERVAL_MS}, got ${resolved.bufferIntervalMs}`);
  }
  if (!resolved.prefix.endsWith('/')) throw new ArchiverOptionError('prefix', `must end with '/', got '${resolved.prefix}'`);
  return resolved;
}
