import { GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-kinesis';
import type { ChildShard, GetRecordsCommandOutput, GetShardIteratorCommandInput, _Record } from '@aws-sdk/client-kinesis';
import type { Logger } from '../logger.js';
import { errorName, isExpiredIterator, isPermanent, isThrottling } from './aws-errors.js';
import { backoffDelay, idleDelay, sleep } from '../backoff.js';
import type { IdlePolicy } from '../backoff.js';
import { runBatch } from './batch-runner.js';
import { readByFanOut } from './fan-out-reader.js';
import type { FanOutRead } from './fan-out-reader.js';
import type { FanOutConsumer } from './consumer-options.js';
import { SentinelCheckpoint } from './constants.js';
import { LeaseLostError } from './errors.js';
import { InFlightWindow } from './in-flight-window.js';
import type { WindowEntry } from './in-flight-window.js';
import type { Lease } from './lease.js';
import { IDLE_READS_BEFORE_BACK_OFF } from './consumer-options.js';
import type { ResolvedConsumerOptions } from './consumer-options.js';
import { RateMeter } from './rate-meter.js';
import type { KinesisRecord, ShardContext, ShardMetrics } from './types.js';
import { ShardState } from './types.js';

/** What a shard processor needs from the lease side (the coordinator), nothing more. */
export interface LeaseAccess {
  /** True while the lease is ours and was renewed within the failover time. */
  isHeld(shardId: string): boolean;
  /** Conditional checkpoint; `release` frees the lease in the same write. Throws LeaseLostError. */
  checkpoint(shardId: string, checkpoint: string | undefined, release: boolean): Promise<void>;
  /** The parent's lease, read consistently (undefined: no lease, which counts as finished). */
  getLease(shardId: string): Promise<Lease | undefined>;
  /** Creates leases for a finished shard's children (from GetRecords' ChildShards, else ListShards). */
  createChildLeases(shardId: string, childShards: readonly ChildShard[] | undefined): Promise<void>;
  /** Stops treating the lease as ours (no write): another worker takes it once it expires. */
  abandon(shardId: string, reason: string): void;
  /** Resolves when one of these shards reaches SHARD_END in this process, or after `ms`. */
  waitForShardEnd(shardIds: readonly string[], ms: number, signal: AbortSignal): Promise<void>;
}

/** Shared by every processor of one consumer: totals that outlive a lease. */
export interface ConsumerStats {
  recordsProcessed: number;
  checkpointsWritten: number;
  readonly meter: RateMeter;
}

interface Batch {
  readonly records: readonly KinesisRecord[];
  /** The window entries its records were read in (several when reads were merged into one batch). */
  readonly entries: readonly WindowEntry[];
  readonly millisBehindLatest: number;
}

type Position = Pick<GetShardIteratorCommandInput, 'ShardIteratorType' | 'StartingSequenceNumber'>;

function toRecord(record: _Record): KinesisRecord {
  return {
    data: record.Data ?? new Uint8Array(),
    partitionKey: record.PartitionKey ?? '',
    sequenceNumber: record.SequenceNumber ?? '',
    approximateArrivalTimestamp: record.ApproximateArrivalTimestamp,
  };
}

function isAbort(error: unknown): boolean {
  return errorName(error) === 'AbortError';
}

/**
 * Reads one leased shard and hands its records to the application: GetRecords polling, a bounded
 * read-ahead window, up to `maxInFlightBatches` batches at once, retries and bisection, low-
 * watermark checkpoints; then SHARD_END (after creating the children's leases) or, on shutdown,
 * a last checkpoint and release. A lost lease stops it at once, with no further write.
 */
export class ShardProcessor {
  private readonly log: Logger;
  /** Stops reading (shutdown or lost). */
  private readonly reading = new AbortController();
  /** Stops everything, batches included (lost, or the shutdown deadline). */
  private readonly halt = new AbortController();
  private readonly window: InFlightWindow;
  private readonly meter = new RateMeter();
  private readonly waiters = new Set<() => void>();
  private pending: Batch[] = [];
  private running = 0;
  private state: ShardState = ShardState.READING;
  private lost = false;
  private shuttingDown = false;
  private lastReadSequenceNumber: string | undefined;
  private checkpointWritten: string;
  private lastCheckpointAt = 0;
  private checkpointTimer: NodeJS.Timeout | undefined;
  private checkpointWrite: Promise<void> | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private millisBehindLatest: number | undefined;
  private lastAnswerAt: number | undefined;
  /** When the last GetRecords call of this shard started (epoch ms): the next waits for its turn. */
  private lastReadAt = 0;
  private runPromise: Promise<void> | undefined;
  /** The wait between reads of a caught-up shard: longer after a quiet stretch, up to maxIdleTimeBetweenReadsMs. */
  private readonly idle: IdlePolicy;
  private readonly counts = { processed: 0, checkpoints: 0, retries: 0, poison: 0, calls: 0, throttled: 0, expired: 0 };
  private readonly fanOutCounts = { subscriptions: 0, throttled: 0, resubscribeRefused: 0, stalled: 0 };

  public constructor(
    private readonly lease: Lease,
    private readonly options: ResolvedConsumerOptions,
    private readonly leases: LeaseAccess,
    private readonly stats: ConsumerStats,
    private readonly onStopped: (shardId: string) => void,
  ) {
    this.log = options.logger.child({ shardId: lease.leaseKey });
    this.idle = { baseMs: options.idleTimeBetweenReadsMs, maxMs: options.maxIdleTimeBetweenReadsMs, after: IDLE_READS_BEFORE_BACK_OFF };
    this.checkpointWritten = lease.checkpoint;
    const isSequence = !Object.values(SentinelCheckpoint).includes(lease.checkpoint as SentinelCheckpoint);
    this.window = new InFlightWindow(isSequence ? lease.checkpoint : undefined);
  }

  public get shardId(): string {
    return this.lease.leaseKey;
  }

  public start(): void {
    this.runPromise ??= this.run()
      .catch((error: unknown) => this.log.error({ err: error }, 'shard processor failed'))
      .finally(() => {
        this.clearTimers();
        if (this.state !== ShardState.ENDED) this.state = ShardState.STOPPED;
        this.onStopped(this.shardId);
      });
  }

  /** The lease is gone: stop now, write nothing more. */
  public stop(reason: string): void {
    if (this.lost) return;
    this.lost = true;
    this.log.warn({ reason }, 'lease lost; shard processing stopped');
    this.reading.abort();
    this.halt.abort();
    this.pending = [];
    this.clearTimers();
    this.notify();
  }

  /**
   * Stops reading, lets batches already handed over finish until `deadline` (epoch ms), then
   * checkpoints the low watermark and releases the lease (or writes SHARD_END when the shard was
   * read to its end and everything is done). Batches read but not yet handed over are left to
   * the next owner.
   */
  public shutdown(deadline: number): Promise<void> {
    if (!this.shuttingDown) {
      this.shuttingDown = true;
      if (this.state === ShardState.READING) this.state = ShardState.SHUTTING_DOWN;
      this.pending = [];
      this.reading.abort();
      this.deadlineTimer = setTimeout(() => this.halt.abort(), Math.max(0, deadline - Date.now()));
      this.notify();
    }
    this.start();
    return this.runPromise as Promise<void>;
  }

  public metrics(): ShardMetrics {
    return {
      shardId: this.shardId,
      state: this.state,
      recordsPerSecond: this.meter.perSecond(),
      recordsProcessed: this.counts.processed,
      millisBehindLatest: this.millisBehindLatest,
      lastReadAt: this.lastAnswerAt,
      checkpointsWritten: this.counts.checkpoints,
      checkpoint: this.checkpointWritten,
      recordsInFlight: this.window.recordsInFlight,
      batchesInFlight: this.running,
      batchRetries: this.counts.retries,
      poisonRecords: this.counts.poison,
      getRecordsCalls: this.counts.calls,
      readBy: this.options.fanOut === undefined ? 'GetRecords' : 'SubscribeToShard',
      subscriptions: this.fanOutCounts.subscriptions,
      throttled: this.counts.throttled + this.fanOutCounts.throttled,
      expiredIterators: this.counts.expired,
    };
  }

  // ---- the read loop ------------------------------------------------------------------------

  private async run(): Promise<void> {
    if (this.lease.checkpoint === SentinelCheckpoint.SHARD_END) {
      await this.finish(true);
      return;
    }
    if (this.lease.parentShardIds.length > 0 && !(await this.waitForParents())) {
      await this.finish(false);
      return;
    }
    if (!this.reading.signal.aborted) this.state = ShardState.READING;
    if (this.options.fanOut !== undefined) {
      const read = await this.readSubscribed(this.options.fanOut);
      if (read.ended && !this.reading.signal.aborted) this.state = ShardState.ENDING;
      await this.finish(read.ended, read.childShards);
      return;
    }
    let ended = false;
    let iterator = await this.shardIterator(this.startPosition());
    let childShards: ChildShard[] | undefined;
    let emptyReads = 0;
    while (iterator !== undefined && !this.reading.signal.aborted) {
      // Read when a worthwhile part of the window is free, not record by record: GetRecords
      // calls are limited to five per second per shard.
      const room = Math.min(this.options.maxRecordsPerCall, Math.ceil(this.options.maxInFlightRecords / 2));
      await this.waitUntil(() => this.options.maxInFlightRecords - this.window.recordsInFlight >= room, this.reading.signal);
      if (this.reading.signal.aborted) break;
      const limit = Math.min(this.options.maxRecordsPerCall, this.options.maxInFlightRecords - this.window.recordsInFlight);
      const result = await this.getRecords(iterator, limit);
      if (result === 'stopped') break;
      if (result === 'expired') {
        iterator = await this.shardIterator(this.resumePosition());
        continue;
      }
      this.millisBehindLatest = result.MillisBehindLatest;
      this.lastAnswerAt = Date.now();
      const records = (result.Records ?? []).map(toRecord);
      if (records.length > 0) {
        this.lastReadSequenceNumber = records[records.length - 1]?.sequenceNumber;
        this.enqueue(records, result.MillisBehindLatest ?? 0);
      }
      if (result.NextShardIterator === undefined || result.NextShardIterator === null) {
        ended = true;
        childShards = result.ChildShards;
        break;
      }
      iterator = result.NextShardIterator;
      // Behind the tip: read again as soon as the pace allows. Kinesalite always reports 0 behind,
      // so a full read counts as behind too.
      const behind = (result.MillisBehindLatest ?? 0) > 0 || records.length >= limit;
      emptyReads = records.length === 0 ? emptyReads + 1 : 0;
      await sleep(behind ? 0 : idleDelay(emptyReads, this.idle), this.reading.signal);
    }
    if (ended && !this.reading.signal.aborted) this.state = ShardState.ENDING;
    await this.finish(ended, childShards);
  }

  /**
   * Enhanced fan-out: records pushed by SubscribeToShard go into the window as they come; the next
   * event is pulled only when the window has room, so a slow application holds the stream back.
   */
  private async readSubscribed(fanOut: FanOutConsumer): Promise<{ ended: boolean; childShards?: ChildShard[] }> {
    const start = this.resumePosition();
    const reads = readByFanOut({
      kinesis: fanOut.kinesis,
      consumerArn: fanOut.consumerArn,
      shardId: this.shardId,
      start: { Type: start.ShardIteratorType, ...(start.StartingSequenceNumber === undefined ? {} : { SequenceNumber: start.StartingSequenceNumber }) },
      backoff: (attempt) => this.backoff(attempt),
      signal: this.reading.signal,
      logger: this.log,
      counts: this.fanOutCounts,
    })[Symbol.asyncIterator]();
    const lingerMs = fanOut.lingerMs ?? 0;
    let held: KinesisRecord[] = [];
    let heldBehind = 0;
    let lastFlushAt = 0;
    /** Resolves when the held records are due (`lingerMs` after the last hand-over); one per batch, however many events arrive meanwhile. */
    let due: Promise<'due'> | undefined;
    const flush = async (): Promise<void> => {
      // Once reading stops (shutdown, a lost lease), held records are left to the next reader.
      if (held.length > 0 && !this.reading.signal.aborted) {
        this.lastReadSequenceNumber = held[held.length - 1]?.sequenceNumber ?? this.lastReadSequenceNumber;
        this.enqueue(held, heldBehind);
        lastFlushAt = Date.now();
      }
      held = [];
      due = undefined;
      // Pull the next event only when the window has room: a busy application holds the stream back.
      await this.waitUntil(() => this.window.recordsInFlight < this.options.maxInFlightRecords, this.reading.signal);
    };
    let next: Promise<IteratorResult<FanOutRead>> | undefined;
    try {
      while (!this.reading.signal.aborted) {
        next ??= reads.next();
        const result = due === undefined ? await next : await Promise.race([next, due]);
        if (result === 'due') {
          await flush();
          continue;
        }
        next = undefined;
        if (result.done === true || this.reading.signal.aborted) break;
        const read = result.value;
        this.lastAnswerAt = Date.now();
        if (read.kind === 'end') {
          await flush();
          return { ended: true, childShards: [...read.childShards] };
        }
        this.millisBehindLatest = read.millisBehindLatest;
        if (read.records.length === 0) continue;
        held.push(...read.records.map(toRecord));
        heldBehind = read.millisBehindLatest;
        // At most one batch per lingerMs: the first push after a quiet spell goes at once, a steady
        // stream of pushes is handed over in batches of what arrived since the last one.
        const wait = lastFlushAt + lingerMs - Date.now();
        if (held.length >= this.options.maxBatchSize || wait <= 0) await flush();
        else due ??= new Promise<'due'>((resolve) => setTimeout(() => resolve('due'), wait));
      }
    } finally {
      // Records held and not handed over are read again by whoever reads the shard next.
      await reads.return?.(undefined);
    }
    return { ended: false };
  }

  private startPosition(): Position {
    const checkpoint = this.lease.checkpoint;
    if (checkpoint === SentinelCheckpoint.TRIM_HORIZON || checkpoint === SentinelCheckpoint.LATEST) return { ShardIteratorType: checkpoint };
    return { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: checkpoint };
  }

  /**
   * After an expired iterator, go on after the last record read (as KCL does): everything before
   * it is in the window already, so reading it again would only hand out duplicates.
   */
  private resumePosition(): Position {
    if (this.lastReadSequenceNumber === undefined) return this.startPosition();
    return { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: this.lastReadSequenceNumber };
  }

  private async waitForParents(): Promise<boolean> {
    this.state = ShardState.WAITING_FOR_PARENTS;
    const signal = this.reading.signal;
    for (let attempt = 1; !signal.aborted; attempt++) {
      try {
        const parents = await Promise.all(this.lease.parentShardIds.map((id) => this.leases.getLease(id)));
        const waiting = parents.filter((p): p is Lease => p !== undefined && p.checkpoint !== SentinelCheckpoint.SHARD_END);
        if (waiting.length === 0) return true;
        this.log.debug({ parents: waiting.map((p) => p.leaseKey) }, 'waiting for parent shards to end');
        await this.leases.waitForShardEnd(waiting.map((p) => p.leaseKey), this.options.parentShardPollIntervalMs, signal);
      } catch (error) {
        this.log.warn({ err: error }, 'cannot read parent leases; retrying');
        await sleep(this.backoff(attempt), signal);
      }
    }
    return false;
  }

  private async shardIterator(position: Position): Promise<string | undefined> {
    for (let attempt = 1; !this.reading.signal.aborted; attempt++) {
      try {
        const { ShardIterator } = await this.options.kinesis.send(
          new GetShardIteratorCommand({ StreamName: this.options.streamName, ShardId: this.shardId, ...position }),
          { abortSignal: this.reading.signal },
        );
        return ShardIterator;
      } catch (error) {
        if (isAbort(error) || this.reading.signal.aborted) return undefined;
        if (isThrottling(error)) this.counts.throttled += 1;
        const level = isPermanent(error) ? 'error' : 'warn';
        this.log[level]({ err: error, attempt, position }, 'GetShardIterator failed; retrying');
        await sleep(this.backoff(attempt), this.reading.signal);
      }
    }
    return undefined;
  }

  private async getRecords(iterator: string, limit: number): Promise<GetRecordsCommandOutput | 'expired' | 'stopped'> {
    for (let attempt = 1; !this.reading.signal.aborted; attempt++) {
      await this.paceRead();
      if (this.reading.signal.aborted) return 'stopped';
      try {
        this.counts.calls += 1;
        return await this.options.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: limit }), { abortSignal: this.reading.signal });
      } catch (error) {
        if (isAbort(error) || this.reading.signal.aborted) return 'stopped';
        if (isExpiredIterator(error)) {
          this.counts.expired += 1;
          this.log.info('shard iterator expired; resuming after the last record read');
          return 'expired';
        }
        if (isThrottling(error)) {
          this.counts.throttled += 1;
          this.log.debug({ attempt }, 'GetRecords throttled; backing off');
        } else {
          this.log.warn({ err: error, attempt }, 'GetRecords failed; retrying');
          // An iterator the service no longer accepts will not start working: get a new one.
          if (errorName(error) === 'InvalidArgumentException' || attempt >= 5) return 'expired';
        }
        await sleep(this.backoff(attempt), this.reading.signal);
      }
    }
    return 'stopped';
  }

  /**
   * Waits until this shard's next GetRecords call may start: calls (retries included) start at
   * least `1000 / maxGetRecordsPerSecond` ms apart, so this consumer never spends more than its
   * share of the shard's five calls a second, however far behind it is or however the calls fail.
   */
  private async paceRead(): Promise<void> {
    const wait = this.lastReadAt + 1000 / this.options.maxGetRecordsPerSecond - Date.now();
    if (wait > 0) await sleep(wait, this.reading.signal);
    this.lastReadAt = Date.now();
  }

  // ---- batches ------------------------------------------------------------------------------

  private enqueue(records: KinesisRecord[], millisBehindLatest: number): void {
    for (let i = 0; i < records.length; i += this.options.maxBatchSize) {
      const slice = records.slice(i, i + this.options.maxBatchSize);
      const last = slice[slice.length - 1] as KinesisRecord;
      const entry = this.window.add(last.sequenceNumber, slice.length);
      // Reads that queue behind a busy application join the last batch not yet handed over, up to
      // maxBatchSize: behind, a shard is handed over in large batches however small its reads or
      // pushes were (records stay in sequence order; the window still completes entry by entry).
      const tail = this.pending[this.pending.length - 1];
      if (tail !== undefined && tail.records.length + slice.length <= this.options.maxBatchSize) {
        this.pending[this.pending.length - 1] = { records: [...tail.records, ...slice], entries: [...tail.entries, entry], millisBehindLatest };
      } else {
        this.pending.push({ records: slice, entries: [entry], millisBehindLatest });
      }
    }
    this.pump();
  }

  private pump(): void {
    while (!this.lost && !this.shuttingDown && this.running < this.options.maxInFlightBatches && this.pending.length > 0) {
      if (!this.leases.isHeld(this.shardId)) {
        this.stop('lease not renewed within the failover time');
        this.leases.abandon(this.shardId, 'lease not renewed within the failover time');
        return;
      }
      const batch = this.pending.shift() as Batch;
      this.running += 1;
      void this.execute(batch);
    }
  }

  private async execute(batch: Batch): Promise<void> {
    let outcome: 'done' | 'aborted' = 'aborted';
    try {
      outcome = await runBatch(batch.records, {
        process: (records, attempt) => this.options.processRecords(records, this.context(batch, attempt)),
        onPoison: (record, error, attempts) => {
          this.counts.poison += 1;
          this.log.error({ sequenceNumber: record.sequenceNumber, partitionKey: record.partitionKey, err: error, attempts }, 'poison record set aside');
          return this.options.onPoisonRecord({
            streamName: this.options.streamName,
            applicationName: this.options.applicationName,
            shardId: this.shardId,
            sequenceNumber: record.sequenceNumber,
            record,
            error,
            attempts,
          });
        },
        maxRetries: this.options.maxBatchRetries,
        backoff: (retry) => this.backoff(retry),
        signal: this.halt.signal,
        onFailure: (error, size, attempt) => {
          this.counts.retries += 1;
          this.log.warn({ err: error, size, attempt, first: batch.records[0]?.sequenceNumber }, 'processRecords failed');
        },
        onPoisonHandlerFailure: (error, attempt) => this.log.error({ err: error, attempt }, 'onPoisonRecord failed; retrying'),
      });
    } catch (error) {
      this.log.error({ err: error }, 'batch runner failed');
    }
    this.running -= 1;
    if (outcome === 'done' && !this.lost) {
      const passed = batch.entries.reduce((sum, entry) => sum + this.window.complete(entry), 0);
      this.counts.processed += batch.records.length;
      this.meter.add(batch.records.length);
      this.stats.recordsProcessed += batch.records.length;
      this.stats.meter.add(batch.records.length);
      if (passed > 0) this.scheduleCheckpoint();
    }
    this.notify();
    this.pump();
  }

  private context(batch: Batch, attempt: number): ShardContext {
    return {
      streamName: this.options.streamName,
      applicationName: this.options.applicationName,
      workerId: this.options.workerId,
      shardId: this.shardId,
      millisBehindLatest: batch.millisBehindLatest,
      attempt,
      signal: this.halt.signal,
    };
  }

  // ---- checkpoints --------------------------------------------------------------------------

  private scheduleCheckpoint(): void {
    // On shutdown the final write (with the release) covers whatever completes meanwhile.
    if (this.lost || this.shuttingDown || this.checkpointTimer !== undefined || this.checkpointWrite !== undefined) return;
    const delay = Math.max(0, this.lastCheckpointAt + this.options.checkpointIntervalMs - Date.now());
    this.checkpointTimer = setTimeout(() => {
      this.checkpointTimer = undefined;
      this.checkpointWrite = this.writeCheckpoint().finally(() => {
        this.checkpointWrite = undefined;
        if (!this.shuttingDown && this.window.watermark !== undefined && this.window.watermark !== this.checkpointWritten) this.scheduleCheckpoint();
      });
    }, delay);
  }

  private async writeCheckpoint(): Promise<void> {
    const watermark = this.window.watermark;
    if (this.lost || watermark === undefined || watermark === this.checkpointWritten) return;
    this.lastCheckpointAt = Date.now();
    try {
      await this.leases.checkpoint(this.shardId, watermark, false);
      this.checkpointed(watermark);
    } catch (error) {
      if (error instanceof LeaseLostError) this.stop(error.message);
      else this.log.warn({ err: error }, 'checkpoint failed; will retry');
    }
  }

  private checkpointed(checkpoint: string): void {
    this.checkpointWritten = checkpoint;
    this.counts.checkpoints += 1;
    this.stats.checkpointsWritten += 1;
  }

  /**
   * The end of this processor: wait for batches handed over (until the deadline on shutdown),
   * then SHARD_END when the shard was read to its end and all of it is done, else (on shutdown)
   * the last checkpoint and release. Nothing after a lost lease.
   */
  private async finish(ended: boolean, childShards?: readonly ChildShard[]): Promise<void> {
    await this.waitUntil(() => this.running === 0 && this.pending.length === 0, this.halt.signal);
    if (this.checkpointTimer !== undefined) clearTimeout(this.checkpointTimer);
    this.checkpointTimer = undefined;
    await this.checkpointWrite;
    if (this.lost) return;
    const complete = ended && this.window.isEmpty && this.running === 0;
    for (let attempt = 1; !this.lost; attempt++) {
      try {
        if (complete) {
          // Children's leases first: a crash between the two writes must not leave a finished
          // parent with no children to carry on (KCL orders them the same way).
          await this.leases.createChildLeases(this.shardId, childShards);
          await this.leases.checkpoint(this.shardId, SentinelCheckpoint.SHARD_END, true);
          this.checkpointed(SentinelCheckpoint.SHARD_END);
          this.state = ShardState.ENDED;
          this.log.info('shard ended; SHARD_END checkpointed and lease released');
        } else if (this.shuttingDown) {
          const watermark = this.window.watermark;
          const move = watermark !== undefined && watermark !== this.checkpointWritten;
          await this.leases.checkpoint(this.shardId, move ? watermark : undefined, true);
          if (move) this.checkpointed(watermark);
          this.state = ShardState.STOPPED;
          this.log.info({ checkpoint: this.checkpointWritten }, 'checkpointed and released lease');
        }
        return;
      } catch (error) {
        if (error instanceof LeaseLostError) {
          this.stop(error.message);
          return;
        }
        // Past the deadline on shutdown, give up: the lease expires and another worker resumes
        // from the last checkpoint (duplicates, never loss).
        if (this.halt.signal.aborted && this.shuttingDown) {
          this.log.error({ err: error }, 'final checkpoint failed; leaving the lease to expire');
          return;
        }
        this.log.warn({ err: error, attempt }, 'final lease write failed; retrying');
        await sleep(this.backoff(attempt), this.halt.signal);
      }
    }
  }

  // ---- helpers ------------------------------------------------------------------------------

  private backoff(attempt: number): number {
    return backoffDelay(attempt, { baseMs: this.options.backoffBaseMs, maxMs: this.options.backoffMaxMs });
  }

  private notify(): void {
    for (const wake of [...this.waiters]) wake();
  }

  /** Resolves once `ready()` holds (checked on every batch completion), or when `signal` aborts. */
  private async waitUntil(ready: () => boolean, signal: AbortSignal): Promise<void> {
    while (!ready() && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          this.waiters.delete(wake);
          signal.removeEventListener('abort', wake);
          resolve();
        };
        this.waiters.add(wake);
        signal.addEventListener('abort', wake, { once: true });
      });
    }
  }

  private clearTimers(): void {
    if (this.checkpointTimer !== undefined) clearTimeout(this.checkpointTimer);
    if (this.deadlineTimer !== undefined) clearTimeout(this.deadlineTimer);
    this.checkpointTimer = undefined;
    this.deadlineTimer = undefined;
  }
}
