import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import { InitialPosition, MAX_RECORDS_PER_GET } from './constants.js';
import { InvalidOptionError } from './errors.js';
import type { OnPoisonRecord, ProcessRecords } from './types.js';

/** A registered stream consumer and the HTTP/2 client its subscriptions go through. */
export interface FanOutConsumer {
  readonly consumerArn: string;
  readonly kinesis: KinesisClient;
  /**
   * At most one batch per this long per shard: the first records pushed after a quiet spell are
   * handed over at once, later ones wait for the next turn and share a batch (up to
   * `maxBatchSize`). Polling batches by its interval; a push comes per write, so a shard written in
   * small puts would otherwise be handed over in batches of a few records, each a queue job or a
   * write of its own downstream. Adds at most this much to a record's latency, nothing after a quiet spell.
   * @default 0 (each event is a batch)
   */
  readonly lingerMs?: number;
}

/** Everything a `ShardConsumer` is built from. Times are in milliseconds. */
export interface ShardConsumerOptions {
  /** Injected, never built here (see `shared/aws/clients.ts`). */
  readonly kinesis: KinesisClient;
  readonly dynamodb: DynamoDBClient;
  readonly streamName: string;
  /** A table with partition key `application` (S) and sort key `leaseKey` (S): catalog `TABLES.leases`. */
  readonly leaseTableName: string;
  /** Partition of the lease table this consumer uses: each consuming application has its own leases. */
  readonly applicationName: string;
  /**
   * Unique among live workers of the application; it owns leases in the table.
   * @default `${hostname}-${pid}-${8 random hex}`
   */
  readonly workerId?: string;
  readonly processRecords: ProcessRecords;
  readonly onPoisonRecord: OnPoisonRecord;
  /** @default a silent logger */
  readonly logger?: Logger;

  /**
   * Where a shard with no checkpoint starts. TRIM_HORIZON by default (unlike KCL's LATEST):
   * at-least-once should hold from the first deploy too.
   * @default 'TRIM_HORIZON'
   */
  readonly initialPosition?: InitialPosition;
  /** A lease not renewed for this long (as seen by another worker's clock) may be taken. @default 10_000 */
  readonly failoverTimeMs?: number;
  /** How often held leases are renewed. @default failoverTimeMs / 3 */
  readonly renewIntervalMs?: number;
  /**
   * How often the lease table is read to take free or expired leases and steal one for balance.
   * A gracefully closed worker's shards are taken within one pass.
   * @default failoverTimeMs / 3
   */
  readonly leasePassIntervalMs?: number;
  /** How often the shard list is compared with the lease table, to create leases for new shards. @default 60_000 */
  readonly shardSyncIntervalMs?: number;
  /** @default Infinity */
  readonly maxLeasesPerWorker?: number;

  /**
   * Enhanced fan-out: each leased shard is read by SubscribeToShard as this registered consumer,
   * which pushes records as they arrive (about 70 ms on AWS) and spends none of the shard's five
   * GetRecords calls a second; `kinesis` must speak HTTP/2 (`createKinesisFanOutClient`). The
   * polling options below (`maxRecordsPerCall`, the idle waits, `maxGetRecordsPerSecond`) then do
   * not apply. The role needs `kinesis:SubscribeToShard` on the consumer's ARN.
   * @default undefined (poll with GetRecords)
   */
  readonly fanOut?: FanOutConsumer;
  /** GetRecords `Limit`. @default 10_000 (the API's maximum) */
  readonly maxRecordsPerCall?: number;
  /**
   * Wait after a read that found the shard caught up, before the next read. The pace is capped by
   * `maxGetRecordsPerSecond` whatever this says.
   * @default 250
   */
  readonly idleTimeBetweenReadsMs?: number;
  /**
   * After a quiet stretch (`IDLE_READS_BEFORE_BACK_OFF` empty reads in a row) the wait doubles per
   * further empty read up to this, and drops back to `idleTimeBetweenReadsMs` at the first record:
   * a shard nobody writes to costs a read a second instead of five (KCL's own idle wait is 1 s),
   * while a shard with traffic never backs off. The first record after a quiet stretch may wait up
   * to this long.
   * @default 1_000 (never below idleTimeBetweenReadsMs)
   */
  readonly maxIdleTimeBetweenReadsMs?: number;
  /**
   * Most GetRecords calls this consumer makes per second on one shard, retries after throttling
   * included: calls start at least `1000 / maxGetRecordsPerSecond` ms apart, behind the tip or
   * not. AWS allows five per second per shard, shared by every consumer of the shard (Firehose
   * reads the raw stream once a second), so the consumers of a shard must sum to five at most.
   * @default 4
   */
  readonly maxGetRecordsPerSecond?: number;
  /** Records per `processRecords` call; a larger read is split. @default 10_000 */
  readonly maxBatchSize?: number;
  /**
   * Batches of one shard handed over and not yet resolved. 1 processes a shard strictly in order;
   * more lets an application that completes asynchronously (a queue job) overlap them.
   * @default 1
   */
  readonly maxInFlightBatches?: number;
  /** Records read and not yet done per shard (the read-ahead window); reading stops at it. @default 10_000 */
  readonly maxInFlightRecords?: number;
  /** Retries of a failing batch before it is bisected. @default 3 */
  readonly maxBatchRetries?: number;
  /** First retry delay (ceiling, full jitter) for failing batches, throttling and API errors. @default 100 */
  readonly backoffBaseMs?: number;
  /** @default 5_000 */
  readonly backoffMaxMs?: number;
  /** Least time between two checkpoint writes of a shard (0: on every low-watermark move). @default 1_000 */
  readonly checkpointIntervalMs?: number;
  /** How often a child shard checks whether its parents reached SHARD_END. @default 2_000 */
  readonly parentShardPollIntervalMs?: number;
  /** How long `close()` lets in-flight batches finish before it checkpoints and releases. @default 10_000 */
  readonly shutdownTimeoutMs?: number;
  /** How often metrics are logged as JSON (0: never). @default 60_000 */
  readonly metricsIntervalMs?: number;
}

/** The options with every default applied. */
export interface ResolvedConsumerOptions extends Required<Omit<ShardConsumerOptions, 'logger' | 'fanOut'>> {
  readonly logger: Logger;
  readonly fanOut: FanOutConsumer | undefined;
}

function defaultWorkerId(): string {
  return `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
}

function positive(option: string, value: number, { integer = true, zero = false } = {}): void {
  const ok = Number.isFinite(value) || value === Infinity;
  if (!ok || (integer && value !== Infinity && !Number.isInteger(value)) || value < 0 || (!zero && value === 0)) {
    throw new InvalidOptionError(option, `must be a ${zero ? 'non-negative' : 'positive'} ${integer ? 'integer' : 'number'}, got ${value}`);
  }
}

function nonEmpty(option: string, value: unknown): void {
  if (typeof value !== 'string' || value === '') throw new InvalidOptionError(option, 'must be a non-empty string');
}

/** Wait between GetRecords calls on a caught-up shard: also READ_IDLE_MS's default in the worker contract, so there is one. */
export const DEFAULT_IDLE_TIME_BETWEEN_READS_MS = 200;
/** Longest wait between reads of a shard that has been quiet for a while (see `maxIdleTimeBetweenReadsMs`). */
export const DEFAULT_MAX_IDLE_TIME_BETWEEN_READS_MS = 1_000;
/** Empty reads in a row before the wait starts to grow: two to three seconds of quiet at the default pace, longer than the gaps of a stream with traffic. */
export const IDLE_READS_BEFORE_BACK_OFF = 10;

/** Defaults first, then the caller's options; then each value is checked with a message naming it. */
export function resolveConsumerOptions(options: ShardConsumerOptions): ResolvedConsumerOptions {
  const failoverTimeMs = options.failoverTimeMs ?? 10_000;
  const resolved: ResolvedConsumerOptions = {
    workerId: defaultWorkerId(),
    initialPosition: InitialPosition.TRIM_HORIZON,
    renewIntervalMs: Math.floor(failoverTimeMs / 3),
    leasePassIntervalMs: Math.floor(failoverTimeMs / 3),
    shardSyncIntervalMs: 60_000,
    maxLeasesPerWorker: Infinity,
    maxRecordsPerCall: MAX_RECORDS_PER_GET,
    idleTimeBetweenReadsMs: DEFAULT_IDLE_TIME_BETWEEN_READS_MS,
    maxIdleTimeBetweenReadsMs: DEFAULT_MAX_IDLE_TIME_BETWEEN_READS_MS,
    maxGetRecordsPerSecond: 4,
    maxBatchSize: MAX_RECORDS_PER_GET,
    maxInFlightBatches: 1,
    maxInFlightRecords: MAX_RECORDS_PER_GET,
    maxBatchRetries: 3,
    backoffBaseMs: 100,
    backoffMaxMs: 5_000,
    checkpointIntervalMs: 1_000,
    parentShardPollIntervalMs: 2_000,
    shutdownTimeoutMs: 10_000,
    metricsIntervalMs: 60_000,
    ...stripUndefined(options),
    failoverTimeMs,
    logger: options.logger ?? silentLogger(),
    fanOut: options.fanOut,
  };
  if (typeof resolved.kinesis !== 'object' || resolved.kinesis === null) throw new InvalidOptionError('kinesis', 'must be a KinesisClient');
  if (typeof resolved.dynamodb !== 'object' || resolved.dynamodb === null) throw new InvalidOptionError('dynamodb', 'must be a DynamoDBClient');
  nonEmpty('streamName', resolved.streamName);
  nonEmpty('leaseTableName', resolved.leaseTableName);
  nonEmpty('applicationName', resolved.applicationName);
  nonEmpty('workerId', resolved.workerId);
  if (resolved.fanOut !== undefined) {
    if (!/^arn:[^:]+:kinesis:[^:]*:[^:]*:stream\/[^/]+\/consumer\/[^:]+:\d+$/.test(resolved.fanOut.consumerArn ?? '')) {
      throw new InvalidOptionError('fanOut.consumerArn', `must be a stream consumer's ARN (arn:aws:kinesis:<region>:<account>:stream/<stream>/consumer/<name>:<created>), got '${resolved.fanOut.consumerArn}'`);
    }
    if (!resolved.fanOut.consumerArn.includes(`:stream/${resolved.streamName}/consumer/`)) {
      throw new InvalidOptionError('fanOut.consumerArn', `names a consumer of another stream than '${resolved.streamName}': ${resolved.fanOut.consumerArn}`);
    }
    if (typeof resolved.fanOut.kinesis !== 'object' || resolved.fanOut.kinesis === null) throw new InvalidOptionError('fanOut.kinesis', 'must be a KinesisClient (HTTP/2)');
  }
  if (typeof resolved.processRecords !== 'function') throw new InvalidOptionError('processRecords', 'must be a function');
  if (typeof resolved.onPoisonRecord !== 'function') throw new InvalidOptionError('onPoisonRecord', 'must be a function');
  if (!Object.values(InitialPosition).includes(resolved.initialPosition)) {
    throw new InvalidOptionError('initialPosition', `must be one of ${Object.values(InitialPosition).join(', ')}`);
  }
  for (const key of ['failoverTimeMs', 'renewIntervalMs', 'leasePassIntervalMs', 'shardSyncIntervalMs', 'maxLeasesPerWorker', 'maxRecordsPerCall', 'idleTimeBetweenReadsMs', 'maxIdleTimeBetweenReadsMs', 'maxBatchSize', 'maxInFlightBatches', 'maxInFlightRecords', 'backoffBaseMs', 'backoffMaxMs', 'parentShardPollIntervalMs', 'shutdownTimeoutMs'] as const) {
    positive(key, resolved[key]);
  }
  positive('maxGetRecordsPerSecond', resolved.maxGetRecordsPerSecond, { integer: false });
  for (const key of ['maxBatchRetries', 'checkpointIntervalMs', 'metricsIntervalMs'] as const) {
    positive(key, resolved[key], { zero: true });
  }
  if (resolved.maxRecordsPerCall > MAX_RECORDS_PER_GET) {
    throw new InvalidOptionError('maxRecordsPerCall', `must be at most ${MAX_RECORDS_PER_GET} (GetRecords' limit), got ${resolved.maxRecordsPerCall}`);
  }
  if (resolved.renewIntervalMs >= resolved.failoverTimeMs) {
    throw new InvalidOptionError('renewIntervalMs', `must be shorter than failoverTimeMs (${resolved.failoverTimeMs}); about a third of it leaves room for two failed renewals`);
  }
  if (resolved.backoffMaxMs < resolved.backoffBaseMs) {
    throw new InvalidOptionError('backoffMaxMs', `must be at least backoffBaseMs (${resolved.backoffBaseMs})`);
  }
  return resolved;
}

/** `{ a: undefined }` must not override a default when spread. */
export function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
