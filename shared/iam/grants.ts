import { ENRICHED_PREFIX, QUARANTINE_PREFIX, RAW_ARCHIVE_PREFIX } from '../analytics-schema.js';
import { LANE_STREAMS } from '../catalog.js';
import type { StreamConsumerName, StreamName } from '../catalog.js';
import type { WorkerRoleName } from '../worker-env.js';
import type { Condition } from './policy.js';
import { FIREHOSE_LOG_STREAM, PROJECT_KEY, bucket, objects, regionOfArn, stream, streamConsumer, table } from './resources.js';
import type { ResourceRef, RoleArns } from './resources.js';

/**
 * The IAM contract: what each role may call, on which catalog resources, under which conditions.
 * Infra renders every task role's policy from it (`infra/lib/permissions.ts`); the local front
 * evaluates the same rendering for every call a worker makes, so a call the contract does not
 * grant fails `npm test` exactly as it would fail in AWS. A comment beside each grant names the
 * code that needs it; a grant no test or fault scenario exercises shows up in `npm run iam:report`
 * and is removed or justified here.
 */
export interface Grant {
  /** Statement id in the rendered policy. */
  readonly sid: string;
  readonly actions: readonly string[];
  readonly resources: readonly ResourceRef[];
  /** Conditions, rendered with the stack's values. */
  readonly condition?: (arns: RoleArns) => Condition;
  /**
   * Why the grant stays although the local test and fault suites never exercise it: AWS uses it on
   * the caller's behalf where no local front can see it (KMS key use by Kinesis, S3 and DynamoDB;
   * CloudWatch Logs), or it is a service's own call the local stand-in does not make. The
   * least-privilege report (`npm run iam:report`) lists these apart from grants nothing uses.
   */
  readonly unobservedLocally?: string;
}

/** Roles AWS services assume (not worker code): the Firehose delivery stream reading the raw stream. */
export type ServiceRoleName = 'firehose';
/** Every role the contract speaks for. */
export type ContractRoleName = WorkerRoleName | ServiceRoleName;

// Kinesis (GetRecords and SubscribeToShard; PutRecords), S3 (GetObject; PutObject with SSE-KMS) and DynamoDB use the
// project key on the caller's behalf: readers need Decrypt, writers GenerateDataKey.
const KEY_DECRYPT = "used by Kinesis, S3 and DynamoDB on the caller's behalf to decrypt what it reads; no emulator calls KMS";
const KEY_ENCRYPT = "used by Kinesis and S3 on the caller's behalf to decrypt what it reads and to generate data keys for what it writes; no emulator calls KMS";

/** The reject store: one conditional PutItem per reject (`shared/rejects/reject-store.ts`); rejectId is content-derived, so a retry writes nothing new. */
const WRITE_REJECTS: Grant = { sid: 'WriteRejects', actions: ['dynamodb:PutItem'], resources: [table('rejects')] };

/**
 * Shard leases (`shared/kinesis/lease-store.ts`): listed with Query, read with GetItem, created with
 * PutItem, taken, renewed, checkpointed and released with UpdateItem, all conditional; DeleteItem
 * removes stale worker heartbeats in every lease pass, a retiring worker's own heartbeat, and the
 * leases of finished shards. Without DeleteItem every lease pass fails once a task has stopped.
 */
const SHARD_LEASES: Grant = {
  sid: 'ShardLeases',
  actions: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
  resources: [table('leases')],
};

/**
 * A shard consumer (`shared/kinesis/shard-lister.ts`, `shard-processor.ts`): ListShards, then
 * GetShardIterator and GetRecords per leased shard, on both lanes' streams of a stage.
 */
const readStreams = (sid: string, names: readonly StreamName[]): Grant => ({
  sid,
  actions: ['kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards'],
  resources: names.map(stream),
});

/**
 * A shard consumer reading by enhanced fan-out (`shared/kinesis/fan-out-reader.ts`): ListShards on
 * the stream for its leases, SubscribeToShard on its registered consumer (which AWS authorises on
 * the consumer's ARN, not the stream's), and no GetRecords or GetShardIterator at all.
 */
const subscribeStream = (sid: string, name: StreamName, consumer: StreamConsumerName): Grant[] => [
  { sid: `${sid}Shards`, actions: ['kinesis:ListShards'], resources: [stream(name)] },
  { sid: `${sid}Subscribe`, actions: ['kinesis:SubscribeToShard'], resources: [streamConsumer(consumer)] },
];

/** The producer (`shared/kinesis/producer.ts`) sends PutRecords only, retrying failed entries. */
const putStreams = (sid: string, names: readonly StreamName[]): Grant => ({ sid, actions: ['kinesis:PutRecords'], resources: names.map(stream) });

/** Both lanes' streams of the raw stage, and of the results stage (the catalog's `LANE_STREAMS`). */
const RAW_STREAMS = [LANE_STREAMS.live.raw, LANE_STREAMS.history.raw] as const;
const RESULTS_STREAMS = [LANE_STREAMS.live.results, LANE_STREAMS.history.results] as const;

const keyDecrypt: Grant = { sid: 'ProjectKeyDecrypt', actions: ['kms:Decrypt'], resources: [PROJECT_KEY], unobservedLocally: KEY_DECRYPT };
const keyUse: Grant = { sid: 'ProjectKey', actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [PROJECT_KEY], unobservedLocally: KEY_ENCRYPT };

/** ListObjectsV2 under one prefix only: `s3:prefix` is the request's Prefix parameter. */
const listUnder = (prefix: string) => (): Condition => ({ StringLike: { 's3:prefix': `${prefix}*` } });

/** The task role of every worker role: exactly the calls that role's code makes. */
export const TASK_ROLE_GRANTS: Readonly<Record<WorkerRoleName, readonly Grant[]>> = {
  crawler: [
    // workers/crawler/page-processor.ts and connection-syncer.ts: accepted transactions of a broker
    // page, through the producer of the page's lane (a sign-up's history onto the history lane).
    putStreams('PutRaw', RAW_STREAMS),
    // workers/crawler/ingest-ledger.ts: duplicates looked up (BatchGetItem) and recorded (BatchWriteItem) a page at a time.
    { sid: 'IngestLedger', actions: ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem'], resources: [table('ingestLedger')] },
    // workers/crawler/cursor-store.ts: begin() reads the cursor (GetItem) and starts a run with a
    // conditional PutItem; save() moves the cursor after each durable page with a conditional
    // UpdateItem fenced by the run's epoch (an update keeps the run's other attributes as they are).
    { sid: 'CrawlerCursor', actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], resources: [table('crawlerState')] },
    WRITE_REJECTS,
    keyUse,
  ],
  'stream-reader': [
    // workers/stream-reader: the live lane pushed by enhanced fan-out, the history lane polled.
    ...subscribeStream('ReadRaw', LANE_STREAMS.live.raw, 'rawReader'),
    readStreams('ReadRawHistory', [LANE_STREAMS.history.raw]),
    SHARD_LEASES,
    WRITE_REJECTS,
    keyDecrypt,
  ],
  scorer: [
    // workers/scorer/scoring-processor.ts: scored results, through the producer of the job's lane.
    putStreams('PutResults', RESULTS_STREAMS),
    WRITE_REJECTS,
    keyUse,
  ],
  projector: [
    // workers/projector: the live lane pushed by enhanced fan-out, the history lane polled.
    ...subscribeStream('ReadResults', LANE_STREAMS.live.results, 'resultsProjector'),
    readStreams('ReadResultsHistory', [LANE_STREAMS.history.results]),
    SHARD_LEASES,
    // workers/projector/view-writer.ts: one item per version of a transaction, put with plain
    // BatchWriteItem (no transactions, no conditions, no reads).
    { sid: 'WriteView', actions: ['dynamodb:BatchWriteItem'], resources: [table('view')] },
    WRITE_REJECTS,
    keyDecrypt,
  ],
  api: [
    // shared/view/read-insights.ts (the read model, through workers/api/insights-query.ts): one Query per local month of the user.
    { sid: 'ReadView', actions: ['dynamodb:Query'], resources: [table('view')] },
    keyDecrypt,
  ],
  batch: [
    // workers/batch/batch-job.ts: archive objects not yet processed, listed under raw/.
    { sid: 'ListArchive', actions: ['s3:ListBucket'], resources: [bucket('rawArchive')], condition: listUnder(RAW_ARCHIVE_PREFIX) },
    // workers/batch/batch-job.ts and enriched-reader.ts: the Parquet of a month partition, listed to merge it.
    { sid: 'ListParquet', actions: ['s3:ListBucket'], resources: [bucket('analytics')], condition: listUnder(ENRICHED_PREFIX) },
    { sid: 'ReadArchive', actions: ['s3:GetObject'], resources: [objects('rawArchive', RAW_ARCHIVE_PREFIX)] },
    // workers/batch/partition-writer.ts: a partition is rewritten: its Parquet read and merged, the
    // new objects put under the same names.
    { sid: 'WriteParquet', actions: ['s3:GetObject', 's3:PutObject'], resources: [objects('analytics', ENRICHED_PREFIX)] },
    // workers/batch/partition-writer.ts: files a rewritten partition no longer has are deleted.
    {
      sid: 'PruneParquet',
      actions: ['s3:DeleteObject'],
      resources: [objects('analytics', ENRICHED_PREFIX)],
      unobservedLocally: 'only when a rewrite makes a partition fewer files than before, which needs partitions larger than any test writes',
    },
    // workers/batch/quarantine.ts: an unreadable archive object is copied aside with a reason file.
    { sid: 'Quarantine', actions: ['s3:PutObject'], resources: [objects('analytics', QUARANTINE_PREFIX)] },
    // workers/batch/batch-state.ts: done-markers per archive object (BatchGetItem, PutItem);
    // workers/batch/run-lock.ts: the run lock (conditional PutItem, UpdateItem to release).
    { sid: 'BatchState', actions: ['dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], resources: [table('batchState')] },
    // workers/batch/view-scores.ts: scores as the read model shows them, one Query per user and local month.
    { sid: 'LookUpScores', actions: ['dynamodb:Query'], resources: [table('view')] },
    WRITE_REJECTS,
    keyUse,
  ],
  replay: [
    // workers/replay/replayer.ts: archive objects of the window, listed per hour prefix under raw/, and read.
    { sid: 'ListArchive', actions: ['s3:ListBucket'], resources: [bucket('rawArchive')], condition: listUnder(RAW_ARCHIVE_PREFIX) },
    { sid: 'ReadArchive', actions: ['s3:GetObject'], resources: [objects('rawArchive', RAW_ARCHIVE_PREFIX)] },
    // workers/replay/replayer.ts paces itself to the stream's write capacity: it reads the open
    // shard count (DescribeStreamSummary), then puts through the producer. A replay is a backfill:
    // it goes on the history lane, so live records never wait behind it.
    { sid: 'PutRaw', actions: ['kinesis:DescribeStreamSummary', 'kinesis:PutRecords'], resources: [stream(LANE_STREAMS.history.raw)] },
    keyUse,
  ],
  // workers/webhook/: verifies the broker's webhooks (its JWKS over HTTPS) and adds sync jobs to
  // Redis (BullMQ). No AWS call at all: its task role is granted nothing.
  webhook: [],
};

/** Firehose's role: read the raw stream, write the archive, decrypt only through Kinesis and S3, log delivery errors. */
export const SERVICE_ROLE_GRANTS: Readonly<Record<ServiceRoleName, readonly Grant[]>> = {
  firehose: [
    // One delivery stream per lane's raw stream, both on this role: Firehose's Kinesis source lists
    // the shards and polls each one (the local stand-in too)...
    readStreams('ReadRaw', RAW_STREAMS),
    // ...and describes the stream, which the stand-in has no need to.
    { sid: 'DescribeRaw', actions: ['kinesis:DescribeStream'], resources: RAW_STREAMS.map(stream), unobservedLocally: "Firehose's own call; the local stand-in lists shards instead" },
    // AWS's documented S3 destination permissions: bucket-level calls for multipart delivery.
    {
      sid: 'ArchiveBucket',
      actions: ['s3:AbortMultipartUpload', 's3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
      resources: [bucket('rawArchive')],
      unobservedLocally: "Firehose's own delivery; the local stand-in writes each object with one PutObject",
    },
    { sid: 'ArchiveObjects', actions: ['s3:PutObject'], resources: [objects('rawArchive', '')] },
    {
      sid: 'ArchiveMultipart',
      actions: ['s3:AbortMultipartUpload', 's3:GetObject'],
      resources: [objects('rawArchive', '')],
      unobservedLocally: "Firehose's own multipart delivery; the local stand-in writes each object with one PutObject",
    },
    {
      sid: 'DecryptStream',
      actions: ['kms:Decrypt'],
      resources: [PROJECT_KEY],
      condition: (arns) => ({ StringEquals: { 'kms:ViaService': `kinesis.${regionOfArn(arns.keyArn) ?? ''}.amazonaws.com` } }),
      unobservedLocally: KEY_DECRYPT,
    },
    {
      sid: 'EncryptArchive',
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: [PROJECT_KEY],
      condition: (arns) => ({ StringEquals: { 'kms:ViaService': `s3.${regionOfArn(arns.keyArn) ?? ''}.amazonaws.com` } }),
      unobservedLocally: KEY_ENCRYPT,
    },
    { sid: 'DeliveryLogs', actions: ['logs:PutLogEvents'], resources: [FIREHOSE_LOG_STREAM], unobservedLocally: 'CloudWatch Logs has no local emulator' },
  ],
};

/**
 * What a local stand-in needs beyond the AWS role it stands in for, granted only locally: the
 * Firehose stand-in (`local/archiver/`) tracks its shards with the shard consumer's leases, which
 * the real Firehose keeps inside the service. Its GetItem (a parent shard's lease, read before a
 * child shard is processed) shows as never exercised in `npm run iam:report`: no test reshards a
 * stream while the stand-in runs; it stays because a reshard would otherwise stop the archive.
 */
export const LOCAL_STAND_IN_GRANTS: Readonly<Partial<Record<ContractRoleName, readonly Grant[]>>> = {
  firehose: [SHARD_LEASES],
};
