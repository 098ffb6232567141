/** Fixed values of the Kinesis and DynamoDB APIs and of this library's lease items. */

/** Where a shard with no checkpoint starts. */
export const InitialPosition = {
  TRIM_HORIZON: 'TRIM_HORIZON',
  LATEST: 'LATEST',
} as const;
export type InitialPosition = (typeof InitialPosition)[keyof typeof InitialPosition];

/**
 * Checkpoint values that are not sequence numbers. SHARD_END marks a closed shard whose every
 * record is done: its children may start.
 */
export const SentinelCheckpoint = {
  TRIM_HORIZON: 'TRIM_HORIZON',
  LATEST: 'LATEST',
  SHARD_END: 'SHARD_END',
} as const;
export type SentinelCheckpoint = (typeof SentinelCheckpoint)[keyof typeof SentinelCheckpoint];

/** PutRecords: at most 500 entries per call (API limit). */
export const MAX_RECORDS_PER_PUT = 500;
/** PutRecords: 5 MiB per call, partition keys included (API limit). */
export const MAX_BYTES_PER_PUT = 5 * 1024 * 1024;
/** One record's data plus its partition key: 1 MiB (API limit). */
export const MAX_BYTES_PER_RECORD = 1024 * 1024;
/** Partition keys are 1 to 256 Unicode characters (API limit). */
export const MAX_PARTITION_KEY_LENGTH = 256;
/** GetRecords returns at most 10,000 records per call (API limit). */
export const MAX_RECORDS_PER_GET = 10_000;

/**
 * The read budget of one shard: 5 GetRecords calls per second (Kinesis quota), shared by every
 * polling consumer of the shard. Each consumer's share (`maxGetRecordsPerSecond`) is set so the
 * consumers of a stream sum to less: Firehose (1) and the stream-reader (3) on a raw stream leave
 * one call a second for a lease hand-over's overlap, a retry or a tool; the projector (4) on a
 * results stream leaves one the same way. The stream-reader subscribes to the live raw stream
 * (enhanced fan-out) and spends none of it there; its share applies to the history lane it polls.
 */
export const ShardReadBudget = {
  /** Kinesis quota, per shard, for all consumers together. */
  perShard: 5,
  /** Firehose polls each shard of a Kinesis source about once a second (the local stand-in too). */
  firehose: 1,
  streamReader: 3,
  projector: 4,
} as const;

/**
 * The live lane's subscribers hand a shard's pushed records over at most once per this many ms
 * (`FanOutConsumer.lingerMs`). A push comes per write: unbatched, 1,000 records/s arrive as many
 * small events, and every one became a queue job, a results put and a view write of its own,
 * which cost more CPU per record than the machine had (the 2026-12-05 12:13 bench: 659 of 1,000/s
 * into the view). The first push after a quiet spell goes at once; under load a record waits at
 * most this long per stage, where polling cost 125 to 170 ms on average per stage; a shard that
 * falls behind is handed over in larger batches anyway (pending batches merge, `maxBatchSize`).
 */
export const FanOutLinger = {
  streamReader: 50,
  projector: 50,
} as const;

/**
 * Enhanced fan-out on an idle shard: AWS pushes events without records (their continuation is the
 * shard's progress "even when no data is written"), so a subscription that stays silent is stalled.
 * The local front sends one this often; a reader counts itself behind only past it.
 */
export const FAN_OUT_IDLE_EVENT_MS = 5_000;
/** A subscription with no event for this long (six idle events missed) is cancelled and renewed: a half-open connection must not stall a shard silently (KCL's health check does the same). */
export const FAN_OUT_STALL_MS = 30_000;

/** Error names (SDK v3 `error.name`) that mean "slow down", for Kinesis and DynamoDB alike. */
export const THROTTLING_ERRORS: ReadonlySet<string> = new Set([
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestLimitExceeded',
  'KMSThrottlingException',
  'SlowDown',
]);

/** Errors that will not go away by retrying the same request. */
export const PERMANENT_ERRORS: ReadonlySet<string> = new Set([
  'ResourceNotFoundException',
  'ValidationException',
  'InvalidArgumentException',
  'AccessDeniedException',
  'UnrecognizedClientException',
  'KMSAccessDeniedException',
  'KMSDisabledException',
  'KMSInvalidStateException',
  'KMSNotFoundException',
  'KMSOptInRequired',
]);
