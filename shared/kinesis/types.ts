/** What the consumer hands the application, and what it reports. */

/** One Kinesis record, as read from a shard. */
export interface KinesisRecord {
  /** The record's bytes, as the producer put them. */
  readonly data: Uint8Array;
  readonly partitionKey: string;
  /** Unique within the shard and increasing in the order Kinesis accepted the records. */
  readonly sequenceNumber: string;
  /**
   * Set only for a user record taken out of a KPL-aggregated record. This library reads records as
   * Kinesis stores them (it does not de-aggregate), so with its own producer this is undefined.
   */
  readonly subSequenceNumber?: number;
  /** When Kinesis accepted the record (its clock). */
  readonly approximateArrivalTimestamp: Date | undefined;
  readonly explicitHashKey?: string;
}

/** Where a batch comes from and what the consumer knows while it is processed. */
export interface ShardContext {
  readonly streamName: string;
  readonly applicationName: string;
  readonly workerId: string;
  readonly shardId: string;
  /** How far behind the tip of the shard the read that produced this batch was, in ms. */
  readonly millisBehindLatest: number;
  /** 1 on the first hand-over of these records, more on a retry or a bisected part of a failed batch. */
  readonly attempt: number;
  /**
   * Aborted when this worker lost the shard's lease, or when `close()`'s deadline passed. The
   * batch's result is then ignored (the next owner processes it again from the checkpoint), so
   * long waits, such as for a queue job to complete, should give up on it.
   */
  readonly signal: AbortSignal;
}

/**
 * Resolves when the batch's effects are durable; rejects to have it retried. The batch holds
 * records of one shard in sequence-number order; never empty.
 */
export type ProcessRecords = (batch: readonly KinesisRecord[], context: ShardContext) => Promise<void>;

/** A record whose processing kept failing after every retry, isolated by bisecting its batch. */
export interface PoisonRecord {
  readonly streamName: string;
  readonly applicationName: string;
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly record: KinesisRecord;
  /** The last error `processRecords` rejected with for this record alone. */
  readonly error: unknown;
  /** How many times this record was handed over alone before it was declared poison. */
  readonly attempts: number;
}

/**
 * Sets a poison record aside (a reject store, a dead-letter queue). The shard's checkpoint moves
 * past the record only after this resolves; if it rejects it is retried with back-off.
 */
export type OnPoisonRecord = (poison: PoisonRecord) => Promise<void>;

/** Where a shard processor is in its life. */
export const ShardState = {
  WAITING_FOR_PARENTS: 'waiting-for-parents',
  READING: 'reading',
  /** Read to the end of a closed shard; finishing what is in flight before SHARD_END. */
  ENDING: 'ending',
  SHUTTING_DOWN: 'shutting-down',
  ENDED: 'ended',
  STOPPED: 'stopped',
} as const;
export type ShardState = (typeof ShardState)[keyof typeof ShardState];

/** One held shard's figures. Counters are since this worker took the lease. */
export interface ShardMetrics {
  readonly shardId: string;
  readonly state: ShardState;
  /** Records whose batch completed (poison records included), per second over the last 10 s. */
  readonly recordsPerSecond: number;
  readonly recordsProcessed: number;
  /** From the last GetRecords answer or SubscribeToShard event; undefined before the first. */
  readonly millisBehindLatest: number | undefined;
  /** Epoch ms when the last GetRecords answer or SubscribeToShard event arrived (an idle shard's events included); undefined before the first. */
  readonly lastReadAt: number | undefined;
  readonly checkpointsWritten: number;
  /** The last checkpoint written or read from the lease. */
  readonly checkpoint: string;
  /** Read and not yet done: buffered plus being processed. */
  readonly recordsInFlight: number;
  readonly batchesInFlight: number;
  readonly batchRetries: number;
  readonly poisonRecords: number;
  readonly getRecordsCalls: number;
  /** How the shard is read: polled, or pushed by enhanced fan-out. */
  readonly readBy: 'GetRecords' | 'SubscribeToShard';
  /** SubscribeToShard calls made (enhanced fan-out), renewals and refused ones included; 0 when polling. */
  readonly subscriptions: number;
  readonly throttled: number;
  readonly expiredIterators: number;
}

/** A consumer's figures, for its JSON logs and the metrics publisher. */
export interface ConsumerMetrics {
  readonly streamName: string;
  readonly applicationName: string;
  readonly workerId: string;
  readonly leasesHeld: number;
  /** Since start: leases taken (free, expired or stolen), stolen, lost to others, released. */
  readonly leasesTaken: number;
  readonly leasesStolen: number;
  readonly leasesLost: number;
  readonly leasesReleased: number;
  /** Since start, every shard included. */
  readonly checkpointsWritten: number;
  readonly recordsProcessed: number;
  readonly recordsPerSecond: number;
  readonly shards: readonly ShardMetrics[];
}

/** The producer's counters since it was built. */
export interface ProducerCounters {
  /** Records Kinesis accepted. */
  readonly put: number;
  /** Retries of single records (one record retried three times counts three). */
  readonly retried: number;
  /** Records given up on: rejected `put()` promises (too large, invalid, retries exhausted, closed). */
  readonly failed: number;
  /** Entries or calls refused with a throttling error. */
  readonly throttled: number;
  readonly calls: number;
  readonly callsInFlight: number;
  /** Waiting to be sent (including those waiting out a back-off). */
  readonly buffered: number;
}

/** Where Kinesis put a record. */
export interface PutResult {
  readonly shardId: string;
  readonly sequenceNumber: string;
}

/** A record to put. */
export interface ProducerRecord {
  readonly data: Uint8Array | string;
  /** Decides the shard; records with the same key stay in order on one shard. */
  readonly partitionKey: string;
  /** Overrides the key's hash to choose the shard; a decimal 128-bit integer. */
  readonly explicitHashKey?: string;
}
