import type { WorkerRoleName } from '../../shared/worker-env.js';
import type { Statement } from '../../infra/lib/iam.js';
import type { PipelineArns } from '../../infra/lib/permissions.js';

/**
 * The per-role permission table the infra tests hold the program to, and the helpers that turn
 * policy statements into readable `action on resource` lines.
 */

export const REGION = 'eu-west-1';
export const ACCOUNT = '111122223333';

/** Fake ARNs whose last segment is the logical name, so the table below can name resources. */
export const ARNS: PipelineArns = {
  keyArn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/project-key`,
  streams: { raw: `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/raw`, results: `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/results` },
  tables: {
    view: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/view`,
    leases: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/leases`,
    ingestLedger: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/ingestLedger`,
    crawlerState: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/crawlerState`,
    rejects: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/rejects`,
    batchState: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/batchState`,
  },
  buckets: { rawArchive: 'arn:aws:s3:::rawArchive', analytics: 'arn:aws:s3:::analytics' },
  metricsNamespace: 'RealtimeInsights',
};

/** `arn:...:table/view` -> `view`, `arn:aws:s3:::rawArchive/raw/*` -> `rawArchive/raw/*`, `...:secret:x` -> `x`, `*` -> `*`. */
export function label(resource: string): string {
  if (resource === '*') return '*';
  if (resource.startsWith('arn:aws:s3:::')) return resource.slice('arn:aws:s3:::'.length);
  if (resource.includes(':secret:')) return resource.slice(resource.indexOf(':secret:') + ':secret:'.length);
  return resource.slice(resource.lastIndexOf('/') + 1);
}

/** Every statement flattened to `action on resource` lines, sorted: what a role may do, at a glance. */
export function grants(statements: readonly Statement[], labelOf: (resource: string) => string = label): string[] {
  const out: string[] = [];
  for (const statement of statements) {
    const resources = typeof statement.Resource === 'string' ? [statement.Resource] : statement.Resource;
    for (const action of statement.Action) for (const resource of resources) out.push(`${action} on ${labelOf(resource)}`);
  }
  return out.sort();
}

const KEY = ['kms:Decrypt on project-key', 'kms:GenerateDataKey on project-key'];
const READ_STREAM = (s: string) => [
  `kinesis:DescribeStream on ${s}`,
  `kinesis:DescribeStreamSummary on ${s}`,
  `kinesis:GetRecords on ${s}`,
  `kinesis:GetShardIterator on ${s}`,
  `kinesis:ListShards on ${s}`,
];
const LEASES = ['dynamodb:GetItem on leases', 'dynamodb:PutItem on leases', 'dynamodb:Query on leases', 'dynamodb:UpdateItem on leases'];

/**
 * What each role needs, written out by hand from what its code calls: the crawler puts to raw and
 * keeps its ledger and cursor; the readers read a stream and hold leases; the scorer puts results
 * and publishes its backlog; the projector writes the view in transactions; the batch job reads
 * the archive, merges Parquet partitions and quarantines unreadable objects; replay reads the
 * archive back into raw, paced by the shard count; the API reads the view. Checked against the
 * workers' code (their AWS SDK commands) when this table was written.
 */
export const EXPECTED_TASK_GRANTS: Readonly<Record<WorkerRoleName, readonly string[]>> = {
  crawler: [
    'kinesis:PutRecord on raw',
    'kinesis:PutRecords on raw',
    'dynamodb:BatchGetItem on ingestLedger',
    'dynamodb:BatchWriteItem on ingestLedger',
    'dynamodb:GetItem on crawlerState',
    'dynamodb:PutItem on crawlerState',
    'dynamodb:PutItem on rejects',
    ...KEY,
  ],
  'stream-reader': [...READ_STREAM('raw'), ...LEASES, 'dynamodb:PutItem on rejects', ...KEY],
  scorer: ['kinesis:PutRecord on results', 'kinesis:PutRecords on results', 'dynamodb:PutItem on rejects', 'cloudwatch:PutMetricData on *', ...KEY],
  projector: [
    ...READ_STREAM('results'),
    ...LEASES,
    'dynamodb:ConditionCheckItem on view',
    'dynamodb:PutItem on view',
    'dynamodb:UpdateItem on view',
    'dynamodb:PutItem on rejects',
    ...KEY,
  ],
  api: ['dynamodb:GetItem on view', 'dynamodb:Query on view', 'kms:Decrypt on project-key'],
  batch: [
    's3:ListBucket on rawArchive',
    's3:ListBucket on analytics',
    's3:GetObject on rawArchive/raw/*',
    's3:AbortMultipartUpload on analytics/enriched/*',
    's3:DeleteObject on analytics/enriched/*',
    's3:GetObject on analytics/enriched/*',
    's3:PutObject on analytics/enriched/*',
    's3:AbortMultipartUpload on analytics/quarantine/*',
    's3:PutObject on analytics/quarantine/*',
    'dynamodb:BatchGetItem on batchState',
    'dynamodb:PutItem on batchState',
    'dynamodb:UpdateItem on batchState',
    'dynamodb:BatchGetItem on view',
    'dynamodb:PutItem on rejects',
    ...KEY,
  ],
  replay: [
    's3:ListBucket on rawArchive',
    's3:GetObject on rawArchive/raw/*',
    'kinesis:DescribeStreamSummary on raw',
    'kinesis:PutRecord on raw',
    'kinesis:PutRecords on raw',
    ...KEY,
  ],
};

