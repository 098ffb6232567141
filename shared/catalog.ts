import { UnknownResourceError } from './errors.js';

/**
 * The resource catalog: every stream, table, bucket and queue the system uses, by logical name.
 * Infra (Pulumi) and `local/` both create resources from this one list, so cloud and laptop
 * cannot drift; a stack name turns each logical name into a physical one.
 */

export const PROJECT = 'realtime-insights' as const;

export interface StreamSpec {
  readonly description: string;
  /** Which lane's records the stream carries: a sign-up's backfill never shares a shard with live records. */
  readonly lane: 'live' | 'history';
  /** Provisioned shards when a stack sets no count of its own. */
  readonly defaultShards: number;
  /** Every record's partition key; per-user order needs one user on one shard. */
  readonly partitionKey: 'userId';
}

export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S' | 'N';
}

export interface TableSpec {
  readonly description: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** Attribute holding an epoch-seconds expiry, where items expire. */
  readonly ttlAttribute?: string;
}

export interface BucketSpec {
  readonly description: string;
}

export interface QueueSpec {
  readonly description: string;
}

export const STREAMS = {
  raw: {
    description: 'Validated live broker transactions, as received; Firehose archives it.',
    lane: 'live',
    defaultShards: 1,
    partitionKey: 'userId',
  },
  results: {
    description: 'Scored live transactions from the scorer; the projector builds the view from it.',
    lane: 'live',
    defaultShards: 1,
    partitionKey: 'userId',
  },
  rawHistory: {
    description: "Validated sign-up histories (the backfill lane), as received; Firehose archives it beside the raw stream.",
    lane: 'history',
    defaultShards: 1,
    partitionKey: 'userId',
  },
  resultsHistory: {
    description: 'Scored sign-up histories (the backfill lane) from the scorer; the projector builds the view from it too.',
    lane: 'history',
    defaultShards: 1,
    partitionKey: 'userId',
  },
} as const satisfies Record<string, StreamSpec>;

/**
 * Each lane's raw and results stream. A backfill has streams of its own so that a live record never
 * waits behind one: not for a shard's write capacity, not in a shard's read order, not in a
 * reader's in-flight window or a projector's batch.
 */
export const LANE_STREAMS = {
  live: { raw: 'raw', results: 'results' },
  history: { raw: 'rawHistory', results: 'resultsHistory' },
} as const satisfies Record<StreamSpec['lane'], { readonly raw: StreamName; readonly results: StreamName }>;

export interface StreamConsumerSpec {
  readonly description: string;
  /** The stream it is registered on. */
  readonly stream: StreamName;
  /** Its name on that stream (unique per stream, so no stack prefix). */
  readonly consumerName: string;
}

/**
 * Registered stream consumers (enhanced fan-out), one per live stream and reader: the
 * stream-reader on the live raw stream, whose poll shared the shard's five GetRecords calls a
 * second with Firehose and left it a mean wait of about 170 ms, and the projector on the live
 * results stream, whose poll at four calls a second left it about 125 ms; pushed, records reach
 * each in tens of milliseconds with a read pipe of its own (2 MiB/s per shard). The history lane
 * polls: a backfill is read in 10,000-record pages, where a poll's wait does not show, and a
 * consumer costs per shard-hour.
 */
export const STREAM_CONSUMERS = {
  rawReader: { description: "The stream-reader's subscriptions to the live raw stream.", stream: 'raw', consumerName: 'stream-reader' },
  resultsProjector: { description: "The projector's subscriptions to the live results stream.", stream: 'results', consumerName: 'projector' },
} as const satisfies Record<string, StreamConsumerSpec>;

export const TABLES = {
  view: {
    description: "The insights view the user's app reads: scored transactions and month totals per user.",
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    ttlAttribute: 'expiresAt',
  },
  leases: {
    description: 'Shard leases and checkpoints, one item per shard per consuming application.',
    partitionKey: { name: 'application', type: 'S' },
    sortKey: { name: 'leaseKey', type: 'S' },
  },
  ingestLedger: {
    description: "Every transactionId the crawler accepted with its content hash: duplicates and conflicts.",
    partitionKey: { name: 'transactionId', type: 'S' },
    ttlAttribute: 'expiresAt',
  },
  crawlerState: {
    description: "Each linked connection's durable sync cursor, revision clock and run fence, so any crawler resumes where another stopped.",
    partitionKey: { name: 'name', type: 'S' },
  },
  rejects: {
    description: 'Inputs that broke the contract, with reason code, message, source position and raw line.',
    partitionKey: { name: 'rejectId', type: 'S' },
    ttlAttribute: 'expiresAt',
  },
  batchState: {
    description: 'Which raw archive objects the batch job has turned into Parquet.',
    partitionKey: { name: 'objectKey', type: 'S' },
  },
} as const satisfies Record<string, TableSpec>;

export const BUCKETS = {
  rawArchive: { description: 'Firehose copy of the raw stream: GZIP NDJSON, time-partitioned, for replay and DR.' },
  analytics: { description: 'Enriched, Hive-partitioned Parquet for Athena and BI, plus Athena results.' },
} as const satisfies Record<string, BucketSpec>;

export const QUEUES = {
  scoring: { description: 'BullMQ queue of micro-batches from the stream-reader to the scorers.' },
  sync: { description: 'BullMQ queue of connection syncs, one per linked connection at a time, from the webhook receiver to the crawlers.' },
} as const satisfies Record<string, QueueSpec>;

export type StreamName = keyof typeof STREAMS;
export type StreamConsumerName = keyof typeof STREAM_CONSUMERS;
export type TableName = keyof typeof TABLES;
export type BucketName = keyof typeof BUCKETS;
export type QueueName = keyof typeof QUEUES;

const STACK = /^[a-z][a-z0-9-]{0,19}$/;

function kebab(logical: string): string {
  return logical.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Throws unless the stack name is short, lower-case and safe in every AWS name it becomes part of. */
export function assertStackName(stack: string): void {
  if (!STACK.test(stack)) {
    throw new Error(`stack name '${stack}' must match ${STACK.source} (it becomes part of S3 bucket names)`);
  }
}

function lookup<T>(kind: string, specs: Record<string, T>, logical: string): T {
  const spec = specs[logical];
  if (spec === undefined) throw new UnknownResourceError(kind, logical);
  return spec;
}

/** `realtime-insights-dev-raw`: Kinesis stream names per stack. */
export function streamName(stack: string, logical: StreamName): string {
  assertStackName(stack);
  lookup('stream', STREAMS, logical);
  return `${PROJECT}-${stack}-${kebab(logical)}`;
}

/** `realtime-insights-dev-ingest-ledger`: DynamoDB table names per stack. */
export function tableName(stack: string, logical: TableName): string {
  assertStackName(stack);
  lookup('table', TABLES, logical);
  return `${PROJECT}-${stack}-${kebab(logical)}`;
}

/**
 * `realtime-insights-dev-raw-archive-123456789012`: S3 names are global, so in AWS the account id
 * (or any suffix the caller owns) keeps two accounts' stacks apart. Locally no suffix is needed.
 */
export function bucketName(stack: string, logical: BucketName, uniqueSuffix?: string): string {
  assertStackName(stack);
  lookup('bucket', BUCKETS, logical);
  const name = `${PROJECT}-${stack}-${kebab(logical)}${uniqueSuffix === undefined ? '' : `-${uniqueSuffix}`}`;
  if (name.length > 63) throw new Error(`bucket name '${name}' is longer than S3's 63 characters`);
  return name;
}

/** BullMQ queue names per stack. The prefix carries a `{hash tag}` so a cluster keeps each queue in one slot. */
export function queueName(stack: string, logical: QueueName): string {
  assertStackName(stack);
  lookup('queue', QUEUES, logical);
  return `${stack}-${kebab(logical)}`;
}

export function queuePrefix(stack: string): string {
  assertStackName(stack);
  return `{${PROJECT}-${stack}}`;
}

/** Every physical name of a stack, keyed by logical name. */
export interface StackResourceNames {
  readonly streams: Record<StreamName, string>;
  readonly tables: Record<TableName, string>;
  readonly buckets: Record<BucketName, string>;
  readonly queues: Record<QueueName, string>;
  readonly queuePrefix: string;
}

function mapKeys<K extends string>(specs: Record<K, unknown>, name: (key: K) => string): Record<K, string> {
  return Object.fromEntries((Object.keys(specs) as K[]).map((key) => [key, name(key)])) as Record<K, string>;
}

export function resourceNames(stack: string, bucketSuffix?: string): StackResourceNames {
  return {
    streams: mapKeys(STREAMS, (k) => streamName(stack, k)),
    tables: mapKeys(TABLES, (k) => tableName(stack, k)),
    buckets: mapKeys(BUCKETS, (k) => bucketName(stack, k, bucketSuffix)),
    queues: mapKeys(QUEUES, (k) => queueName(stack, k)),
    queuePrefix: queuePrefix(stack),
  };
}
