import type { Logger } from '../logger.js';
import type { ResolvedConsumerOptions, ShardConsumerOptions } from './consumer-options.js';
import { resolveConsumerOptions } from './consumer-options.js';
import { ConsumerStateError } from './errors.js';
import type { Lease } from './lease.js';
import { LeaseCoordinator } from './lease-coordinator.js';
import { LeaseStore } from './lease-store.js';
import { RateMeter } from './rate-meter.js';
import type { ConsumerStats } from './shard-processor.js';
import { ShardProcessor } from './shard-processor.js';
import type { ConsumerMetrics } from './types.js';

/**
 * Consumes a Kinesis stream with other workers of the same application, coordinated through
 * leases in DynamoDB: each shard is read by one worker at a time, in order, parents before
 * children; records are handed to `processRecords` and checkpointed at the low watermark once
 * their effects are durable. At-least-once: see the README for when duplicates happen.
 *
 * @example
 * ```ts
 * const consumer = new ShardConsumer({
 *   kinesis, dynamodb, logger,
 *   streamName: names.streams.results,
 *   leaseTableName: names.tables.leases,
 *   applicationName: 'projector',
 *   processRecords: async (batch, { shardId }) => { await writeView(batch); },
 *   onPoisonRecord: async ({ shardId, sequenceNumber, record, error }) => { await reject(record, error); },
 * });
 * await consumer.start();
 * process.once('SIGTERM', () => void consumer.close());
 * ```
 */
export class ShardConsumer {
  private readonly options: ResolvedConsumerOptions;
  private readonly log: Logger;
  private readonly coordinator: LeaseCoordinator;
  private readonly processors = new Map<string, ShardProcessor>();
  private readonly stats: ConsumerStats = { recordsProcessed: 0, checkpointsWritten: 0, meter: new RateMeter() };
  private starting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private metricsTimer: NodeJS.Timeout | undefined;

  public constructor(options: ShardConsumerOptions) {
    this.options = resolveConsumerOptions(options);
    this.log = this.options.logger.child({ component: 'kinesis-consumer', stream: this.options.streamName, application: this.options.applicationName, workerId: this.options.workerId });
    this.options = { ...this.options, logger: this.log };
    const store = new LeaseStore(this.options.dynamodb, this.options.leaseTableName, this.options.applicationName, this.options.streamName);
    this.coordinator = new LeaseCoordinator(store, this.options, {
      acquired: (lease) => this.acquired(lease),
      lost: (shardId, reason) => this.processors.get(shardId)?.stop(reason),
    });
  }

  public get workerId(): string {
    return this.options.workerId;
  }

  /** Creates missing leases, takes a first share of them and starts reading. Rejects if the table or stream cannot be used. */
  public start(): Promise<void> {
    if (this.closing !== undefined) return Promise.reject(new ConsumerStateError('consumer is closed'));
    this.starting ??= (async () => {
      await this.coordinator.start();
      this.log.info({ leases: this.coordinator.heldShardIds() }, 'consumer started');
      if (this.options.metricsIntervalMs > 0) {
        this.metricsTimer = setInterval(() => this.log.info({ metrics: this.metrics() }, 'kinesis consumer metrics'), this.options.metricsIntervalMs);
      }
    })();
    return this.starting;
  }

  /**
   * Stops taking leases and reading, lets in-flight batches finish (up to `shutdownTimeoutMs`),
   * checkpoints each shard's low watermark and releases its lease, so other workers take the
   * shards on their next pass. Idempotent: a second call returns the same promise.
   */
  public close(): Promise<void> {
    this.closing ??= (async () => {
      await this.starting?.catch(() => undefined);
      const deadline = Date.now() + this.options.shutdownTimeoutMs;
      const steps: [string, () => Promise<void>][] = [
        ['stop taking leases', () => this.coordinator.stopTaking()],
        ['retire heartbeat', () => this.coordinator.retire()],
        ['shut down shards', async () => void (await Promise.all([...this.processors.values()].map((p) => p.shutdown(deadline))))],
        ['release leases', () => this.coordinator.releaseAll()],
        ['stop renewing', () => this.coordinator.stopRenewing()],
      ];
      // Every step runs even when an earlier one failed.
      for (const [step, run] of steps) {
        try {
          await run();
        } catch (error) {
          this.log.error({ err: error, step }, 'close step failed');
        }
      }
      if (this.metricsTimer !== undefined) clearInterval(this.metricsTimer);
      this.log.info({ metrics: this.metrics() }, 'consumer closed');
    })();
    return this.closing;
  }

  /** Figures for logs and the metrics publisher (also logged every `metricsIntervalMs`). */
  public metrics(): ConsumerMetrics {
    const counters = this.coordinator.counters;
    return {
      streamName: this.options.streamName,
      applicationName: this.options.applicationName,
      workerId: this.options.workerId,
      leasesHeld: this.coordinator.heldCount,
      leasesTaken: counters.taken,
      leasesStolen: counters.stolen,
      leasesLost: counters.lost,
      leasesReleased: counters.released,
      checkpointsWritten: this.stats.checkpointsWritten,
      recordsProcessed: this.stats.recordsProcessed,
      recordsPerSecond: this.stats.meter.perSecond(),
      shards: [...this.processors.values()].map((p) => p.metrics()).sort((a, b) => a.shardId.localeCompare(b.shardId)),
    };
  }

  /** Shards whose leases this worker holds now. */
  public heldShards(): string[] {
    return this.coordinator.heldShardIds();
  }

  private acquired(lease: Lease): void {
    const processor = new ShardProcessor(lease, this.options, this.coordinator, this.stats, (shardId) => {
      if (this.processors.get(shardId) !== processor) return;
      this.processors.delete(shardId);
      // A processor that ended without releasing or losing its lease (an unexpected error) must
      // not leave a renewed lease nobody reads: free it for the next pass. (close() releases
      // whatever is left itself.)
      if (this.coordinator.holds(shardId) && this.closing === undefined) {
        this.log.warn({ shardId }, 'shard processor stopped while holding its lease; releasing it');
        this.coordinator.checkpoint(shardId, undefined, true).catch((error: unknown) => this.log.warn({ err: error, shardId }, 'release failed'));
      }
    });
    this.processors.set(lease.leaseKey, processor);
    processor.start();
    // Taken by a pass that was already running when close() began: hand it straight back.
    if (this.closing !== undefined) void processor.shutdown(Date.now());
  }
}
