import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { PutRecordsResultEntry } from '@aws-sdk/client-kinesis';
import type { Logger } from '../logger.js';
import { errorMessage, errorName, isPermanent, isThrottling } from './aws-errors.js';
import { backoffDelay } from '../backoff.js';
import { MAX_PARTITION_KEY_LENGTH } from './constants.js';
import { InvalidRecordError, ProducerClosedError, PutRecordFailedError, RecordTooLargeError } from './errors.js';
import type { KinesisProducerOptions, ResolvedProducerOptions } from './producer-options.js';
import { resolveProducerOptions } from './producer-options.js';
import type { ProducerCounters, ProducerRecord, PutResult } from './types.js';

interface Entry {
  /** Put order, to put retried entries back where they were. */
  readonly order: number;
  readonly data: Uint8Array;
  readonly partitionKey: string;
  readonly explicitHashKey: string | undefined;
  /** Data plus UTF-8 partition key, as Kinesis counts a record. */
  readonly size: number;
  /** Calls this entry was in. */
  attempts: number;
  /** Not sent again before this time (back-off), epoch ms. */
  notBefore: number;
  readonly resolve: (result: PutResult) => void;
  readonly reject: (error: Error) => void;
}

const HASH_KEY = /^(0|[1-9]\d{0,38})$/;
const MAX_HASH_KEY = 2n ** 128n - 1n;

/**
 * Puts records to one stream with PutRecords: batched up to the API's limits, only failed entries
 * retried (exponential back-off, full jitter), a bounded number of calls in flight, each key's
 * order kept by default. `put()` resolves when Kinesis has accepted the record.
 *
 * @example
 * ```ts
 * const producer = new KinesisProducer({ kinesis, streamName: names.streams.raw, logger });
 * await Promise.all(transactions.map((t) => producer.put({ data: JSON.stringify(t), partitionKey: t.userId })));
 * await producer.close();
 * ```
 */
export class KinesisProducer {
  private readonly options: ResolvedProducerOptions;
  private readonly log: Logger;
  private queue: Entry[] = [];
  /** preserveKeyOrder: the one entry of each key that is in flight or waiting to be retried. */
  private readonly keyHolder = new Map<string, Entry>();
  private readonly unsettled = new Set<Promise<unknown>>();
  private inFlight = 0;
  private order = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private leftAfterPump = 0;
  private flushing = 0;
  private closing: Promise<void> | undefined;
  private readonly count = { put: 0, retried: 0, failed: 0, throttled: 0, calls: 0 };

  public constructor(options: KinesisProducerOptions) {
    this.options = resolveProducerOptions(options);
    this.log = this.options.logger.child({ component: 'kinesis-producer', stream: this.options.streamName });
  }

  /**
   * Queues a record; resolves with its shard and sequence number once Kinesis accepted it. Rejects
   * with RecordTooLargeError or InvalidRecordError at once for a record that can never be put,
   * with PutRecordFailedError when retries ran out, with ProducerClosedError after `close()`.
   */
  public put(record: ProducerRecord): Promise<PutResult> {
    if (this.closing !== undefined) return this.refuse(new ProducerClosedError(this.options.streamName));
    const { partitionKey, explicitHashKey } = record;
    const keyLength = typeof partitionKey === 'string' ? [...partitionKey].length : 0;
    if (keyLength < 1 || keyLength > MAX_PARTITION_KEY_LENGTH) {
      return this.refuse(new InvalidRecordError(String(partitionKey), `partition key must be 1 to ${MAX_PARTITION_KEY_LENGTH} characters, got ${keyLength}`));
    }
    if (explicitHashKey !== undefined && (!HASH_KEY.test(explicitHashKey) || BigInt(explicitHashKey) > MAX_HASH_KEY)) {
      return this.refuse(new InvalidRecordError(partitionKey, `explicit hash key '${explicitHashKey}' is not an integer from 0 to 2^128-1`));
    }
    const data = typeof record.data === 'string' ? Buffer.from(record.data, 'utf8') : record.data;
    const size = data.byteLength + Buffer.byteLength(partitionKey, 'utf8');
    if (size > this.options.maxBytesPerRecord) return this.refuse(new RecordTooLargeError(partitionKey, size, this.options.maxBytesPerRecord));

    const promise = new Promise<PutResult>((resolve, reject) => {
      this.queue.push({ order: this.order++, data, partitionKey, explicitHashKey, size, attempts: 0, notBefore: 0, resolve, reject });
    });
    const tracked = promise.then(
      () => undefined,
      () => undefined,
    );
    this.unsettled.add(tracked);
    void tracked.then(() => this.unsettled.delete(tracked));
    this.schedule();
    return promise;
  }

  /** Sends what is buffered without waiting for the linger time; resolves when every record put before it is settled. */
  public async flush(): Promise<void> {
    const pending = [...this.unsettled];
    this.flushing += 1;
    try {
      this.pump();
      await Promise.allSettled(pending);
    } finally {
      this.flushing -= 1;
    }
  }

  /** Refuses new records, then flushes. Idempotent: a second call returns the same promise. */
  public close(): Promise<void> {
    this.closing ??= this.flush().then(() => {
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.log.info({ counters: this.counters() }, 'producer closed');
    });
    return this.closing;
  }

  public counters(): ProducerCounters {
    return { ...this.count, callsInFlight: this.inFlight, buffered: this.queue.length };
  }

  private refuse(error: Error): Promise<never> {
    this.count.failed += 1;
    return Promise.reject(error);
  }

  /** Sends now when a full call's worth arrived since the last send (or a flush waits), else after the linger time. */
  private schedule(): void {
    if (this.inFlight >= this.options.maxCallsInFlight) return;
    if (this.flushing > 0 || this.queue.length - this.leftAfterPump >= this.options.maxRecordsPerCall) {
      this.pump();
      return;
    }
    this.armTimer(Date.now() + this.options.lingerMs);
  }

  private armTimer(at: number): void {
    if (this.timer !== undefined && this.timerAt <= at) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.pump();
    }, Math.max(0, at - Date.now()));
  }

  private pump(): void {
    const now = Date.now();
    while (this.inFlight < this.options.maxCallsInFlight) {
      const batch = this.takeBatch(now);
      if (batch.length === 0) break;
      void this.send(batch);
    }
    this.leftAfterPump = this.queue.length;
    // Entries waiting out a back-off need a wake-up of their own.
    let next = Infinity;
    for (const entry of this.queue) if (entry.notBefore > now) next = Math.min(next, entry.notBefore);
    if (next !== Infinity && this.inFlight < this.options.maxCallsInFlight) this.armTimer(next);
  }

  private takeBatch(now: number): Entry[] {
    const batch: Entry[] = [];
    const rest: Entry[] = [];
    const keys = new Set<string>();
    // A key whose earlier entry was skipped must skip its later ones too, or they overtake it.
    const blocked = new Set<string>();
    let bytes = 0;
    const preserve = this.options.preserveKeyOrder;
    for (const entry of this.queue) {
      const key = entry.partitionKey;
      const holder = this.keyHolder.get(key);
      const fits = batch.length < this.options.maxRecordsPerCall && bytes + entry.size <= this.options.maxBytesPerCall;
      const free = !preserve || (!blocked.has(key) && !keys.has(key) && (holder === undefined || holder === entry));
      if (entry.notBefore <= now && fits && free) {
        batch.push(entry);
        bytes += entry.size;
        keys.add(key);
      } else {
        rest.push(entry);
        if (preserve) blocked.add(key);
      }
    }
    this.queue = rest;
    return batch;
  }

  private async send(batch: Entry[]): Promise<void> {
    this.inFlight += 1;
    this.count.calls += 1;
    for (const entry of batch) {
      entry.attempts += 1;
      if (this.options.preserveKeyOrder) this.keyHolder.set(entry.partitionKey, entry);
    }
    const retry: Entry[] = [];
    try {
      const result = await this.options.kinesis.send(
        new PutRecordsCommand({
          StreamName: this.options.streamName,
          Records: batch.map((e) => ({ Data: e.data, PartitionKey: e.partitionKey, ...(e.explicitHashKey === undefined ? {} : { ExplicitHashKey: e.explicitHashKey }) })),
        }),
      );
      const entries: (PutRecordsResultEntry | undefined)[] = result.Records ?? [];
      batch.forEach((entry, i) => {
        const outcome = entries[i];
        if (outcome !== undefined && outcome.ErrorCode === undefined && outcome.SequenceNumber !== undefined) {
          this.settle(entry);
          this.count.put += 1;
          entry.resolve({ shardId: outcome.ShardId ?? '', sequenceNumber: outcome.SequenceNumber });
        } else {
          this.failed(entry, outcome?.ErrorCode ?? 'InternalFailure', outcome?.ErrorMessage ?? 'no result for this entry', false, undefined, retry);
        }
      });
      if ((result.FailedRecordCount ?? 0) > 0) this.log.debug({ failed: result.FailedRecordCount, size: batch.length }, 'PutRecords partly failed; retrying the failed entries');
    } catch (error) {
      this.log.warn({ err: error, size: batch.length }, 'PutRecords call failed');
      for (const entry of batch) this.failed(entry, errorName(error), errorMessage(error), isPermanent(error), error, retry);
    } finally {
      this.inFlight -= 1;
      // One back-off for everything this call has to send again, so it goes again as one call: a
      // delay drawn per entry (jitter apart) would wake the pump once per entry and send the
      // throttled part of a call of 500 as hundreds of calls, each costing what a full one does.
      if (retry.length > 0) {
        const attempts = Math.max(...retry.map((entry) => entry.attempts));
        const notBefore = Date.now() + backoffDelay(attempts, { baseMs: this.options.backoffBaseMs, maxMs: this.options.backoffMaxMs });
        for (const entry of retry) entry.notBefore = notBefore;
      }
      // Back where they were: before everything put after them.
      retry.sort((a, b) => a.order - b.order);
      this.queue = [...retry, ...this.queue];
      this.pump();
    }
  }

  private failed(entry: Entry, code: string, message: string, permanent: boolean, cause: unknown, retry: Entry[]): void {
    const throttled = isThrottling({ name: code });
    if (throttled) this.count.throttled += 1;
    if (permanent || entry.attempts > this.options.maxRetries) {
      this.settle(entry);
      this.count.failed += 1;
      const error = new PutRecordFailedError(entry.partitionKey, code, entry.attempts, message, cause === undefined ? undefined : { cause });
      this.log.error({ partitionKey: entry.partitionKey, errorCode: code, attempts: entry.attempts }, 'record failed');
      entry.reject(error);
      return;
    }
    this.count.retried += 1;
    retry.push(entry);
  }

  private settle(entry: Entry): void {
    if (this.keyHolder.get(entry.partitionKey) === entry) this.keyHolder.delete(entry.partitionKey);
  }
}
