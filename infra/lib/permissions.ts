import { secretVariables } from '../../shared/worker-env.js';
import type { WorkerRoleName, WorkerVariable } from '../../shared/worker-env.js';
import type { StreamName, TableName, BucketName } from '../../shared/catalog.js';
import { ENRICHED_PREFIX, QUARANTINE_PREFIX, RAW_ARCHIVE_PREFIX } from '../../shared/analytics-schema.js';
import { allow } from './iam.js';
import type { Statement } from './iam.js';
import { ComponentArgsError } from '../errors.js';

/**
 * What each role may do, as plain functions of resource ARNs: the task role of every worker role
 * (exactly the calls that role makes), its execution role (image pull, logs, its own secrets),
 * and the service roles of Firehose and EventBridge Scheduler. Components render these with the
 * real ARNs; unit tests compare them with a hand-written table.
 */

export const KINESIS_READ = [
  'kinesis:DescribeStream',
  'kinesis:DescribeStreamSummary',
  'kinesis:GetRecords',
  'kinesis:GetShardIterator',
  'kinesis:ListShards',
] as const;
export const KINESIS_WRITE = ['kinesis:PutRecord', 'kinesis:PutRecords'] as const;
/** Lease items are listed (Query), created (PutItem), renewed, taken and released (UpdateItem), all conditional. */
export const LEASE_ACCESS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'] as const;
/** A reject is one conditional PutItem (rejectId is content-derived, so a retry writes nothing new). */
export const REJECT_WRITE = ['dynamodb:PutItem'] as const;
/** TransactWriteItems has no IAM action of its own: each item in it needs its action's right. */
export const VIEW_WRITE = ['dynamodb:ConditionCheckItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'] as const;
/** The read API: one user's items by key and by sort-key range. */
export const VIEW_READ = ['dynamodb:GetItem', 'dynamodb:Query'] as const;
/** The batch job looks up scores for a chunk of transactions at once. */
export const VIEW_LOOKUP = ['dynamodb:BatchGetItem'] as const;
/** Duplicates are looked up and recorded a broker page at a time. */
export const LEDGER_ACCESS = ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem'] as const;
/** The crawler's cursor: read at start, overwritten after each durable page. */
export const CURSOR_ACCESS = ['dynamodb:GetItem', 'dynamodb:PutItem'] as const;
/** Done-markers per archive object (BatchGetItem, PutItem) and the run lock (PutItem, UpdateItem). */
export const BATCH_STATE_ACCESS = ['dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'] as const;
/** Kinesis, DynamoDB, S3 and Secrets Manager encrypt with the project key on the caller's behalf. */
export const KEY_USE = ['kms:Decrypt', 'kms:GenerateDataKey'] as const;
export const ARCHIVE_READ_OBJECTS = ['s3:GetObject'] as const;
export const BUCKET_LIST = ['s3:ListBucket'] as const;
/** Partitions are rewritten: existing Parquet read and merged, new objects in, superseded ones out. */
export const ENRICHED_WRITE_OBJECTS = ['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:PutObject'] as const;
/** Archive objects the job cannot read are copied aside for a human. */
export const QUARANTINE_WRITE_OBJECTS = ['s3:AbortMultipartUpload', 's3:PutObject'] as const;
export const IMAGE_PULL = ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'] as const;
export const LOG_WRITE = ['logs:CreateLogStream', 'logs:PutLogEvents'] as const;

/** The ARNs a role's permissions name. */
export interface PipelineArns {
  readonly keyArn: string;
  readonly streams: Readonly<Record<StreamName, string>>;
  readonly tables: Readonly<Record<TableName, string>>;
  /** Bucket ARNs (`arn:aws:s3:::name`). */
  readonly buckets: Readonly<Record<BucketName, string>>;
  /** CloudWatch namespace the scorer may publish to, and nothing else. */
  readonly metricsNamespace: string;
}

const dynamo = (actions: readonly string[], tables: readonly string[]): Statement => allow(actions, tables);

/** The task role's statements of one worker role: only the calls that role's code makes. */
export function taskRoleStatements(role: WorkerRoleName, arns: PipelineArns): Statement[] {
  const key = allow(KEY_USE, arns.keyArn, undefined, 'ProjectKey');
  const rejects = allow(REJECT_WRITE, arns.tables.rejects, undefined, 'WriteRejects');
  switch (role) {
    case 'crawler':
      return [
        allow(KINESIS_WRITE, arns.streams.raw, undefined, 'PutRaw'),
        { ...dynamo(LEDGER_ACCESS, [arns.tables.ingestLedger]), Sid: 'IngestLedger' },
        { ...dynamo(CURSOR_ACCESS, [arns.tables.crawlerState]), Sid: 'CrawlerCursor' },
        rejects,
        key,
      ];
    case 'stream-reader':
      return [
        allow(KINESIS_READ, arns.streams.raw, undefined, 'ReadRaw'),
        { ...dynamo(LEASE_ACCESS, [arns.tables.leases]), Sid: 'ShardLeases' },
        rejects,
        key,
      ];
    case 'scorer':
      return [
        allow(KINESIS_WRITE, arns.streams.results, undefined, 'PutResults'),
        rejects,
        // PutMetricData has no resource to scope to; the namespace condition is the boundary.
        allow(['cloudwatch:PutMetricData'], '*', { StringEquals: { 'cloudwatch:namespace': arns.metricsNamespace } }, 'PublishBacklog'),
        key,
      ];
    case 'projector':
      return [
        allow(KINESIS_READ, arns.streams.results, undefined, 'ReadResults'),
        { ...dynamo(LEASE_ACCESS, [arns.tables.leases]), Sid: 'ShardLeases' },
        { ...dynamo(VIEW_WRITE, [arns.tables.view]), Sid: 'WriteView' },
        rejects,
        key,
      ];
    case 'api':
      return [{ ...dynamo(VIEW_READ, [arns.tables.view]), Sid: 'ReadView' }, allow(['kms:Decrypt'], arns.keyArn, undefined, 'ProjectKey')];
    case 'batch':
      return [
        allow(BUCKET_LIST, [arns.buckets.rawArchive, arns.buckets.analytics], undefined, 'ListBuckets'),
        allow(ARCHIVE_READ_OBJECTS, `${arns.buckets.rawArchive}/${RAW_ARCHIVE_PREFIX}*`, undefined, 'ReadArchive'),
        allow(ENRICHED_WRITE_OBJECTS, `${arns.buckets.analytics}/${ENRICHED_PREFIX}*`, undefined, 'WriteParquet'),
        allow(QUARANTINE_WRITE_OBJECTS, `${arns.buckets.analytics}/${QUARANTINE_PREFIX}*`, undefined, 'Quarantine'),
        { ...dynamo(BATCH_STATE_ACCESS, [arns.tables.batchState]), Sid: 'BatchState' },
        { ...dynamo(VIEW_LOOKUP, [arns.tables.view]), Sid: 'LookUpScores' },
        rejects,
        key,
      ];
    case 'replay':
      return [
        allow(BUCKET_LIST, arns.buckets.rawArchive, undefined, 'ListArchive'),
        allow(ARCHIVE_READ_OBJECTS, `${arns.buckets.rawArchive}/${RAW_ARCHIVE_PREFIX}*`, undefined, 'ReadArchive'),
        // The replay paces itself to the stream's write capacity: it reads the open shard count.
        allow(['kinesis:DescribeStreamSummary', ...KINESIS_WRITE], arns.streams.raw, undefined, 'PutRaw'),
        key,
      ];
  }
}

/** Secrets Manager ARNs per secret variable; a role gets only the ones it reads. */
export type SecretArns = Readonly<Partial<Record<WorkerVariable, string>>>;

export interface ExecutionArns {
  readonly keyArn: string;
  readonly repositoryArn: string;
  /** The role's own log group ARN (without a trailing `:*`). */
  readonly logGroupArn: string;
  readonly secrets: SecretArns;
}

/** The secrets a role's container receives, with their ARNs; throws if one has no ARN. */
export function roleSecretArns(role: WorkerRoleName, secrets: SecretArns): string[] {
  return secretVariables(role).map((variable) => {
    const arn = secrets[variable];
    if (arn === undefined) throw new ComponentArgsError('permissions', `no Secrets Manager ARN for ${variable}, which the ${role} role reads`);
    return arn;
  });
}

/** The execution role ECS uses to start a role's task: pull the image, write logs, read its secrets. */
export function executionRoleStatements(role: WorkerRoleName, arns: ExecutionArns): Statement[] {
  const secrets = roleSecretArns(role, arns.secrets);
  return [
    allow(['ecr:GetAuthorizationToken'], '*', undefined, 'RegistryLogin'),
    allow(IMAGE_PULL, arns.repositoryArn, undefined, 'PullImage'),
    allow(LOG_WRITE, `${arns.logGroupArn}:log-stream:*`, undefined, 'WriteLogs'),
    ...(secrets.length === 0
      ? []
      : [
          allow(['secretsmanager:GetSecretValue'], secrets, undefined, 'ReadOwnSecrets'),
          allow(['kms:Decrypt'], arns.keyArn, { StringEquals: { 'kms:ViaService': `secretsmanager.${regionOf(arns.keyArn)}.amazonaws.com` } }, 'DecryptSecrets'),
        ]),
  ];
}

/** Firehose reads the raw stream and writes the archive; it decrypts the stream with the key. */
export function firehoseStatements(arns: { keyArn: string; rawStreamArn: string; bucketArn: string; logStreamArn: string }): Statement[] {
  const region = regionOf(arns.keyArn);
  return [
    allow(['kinesis:DescribeStream', 'kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards'], arns.rawStreamArn, undefined, 'ReadRaw'),
    allow(['s3:AbortMultipartUpload', 's3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'], arns.bucketArn, undefined, 'ArchiveBucket'),
    allow(['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'], `${arns.bucketArn}/*`, undefined, 'ArchiveObjects'),
    allow(['kms:Decrypt'], arns.keyArn, { StringEquals: { 'kms:ViaService': `kinesis.${region}.amazonaws.com` } }, 'DecryptStream'),
    allow(['kms:Decrypt', 'kms:GenerateDataKey'], arns.keyArn, { StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` } }, 'EncryptArchive'),
    allow(['logs:PutLogEvents'], arns.logStreamArn, undefined, 'DeliveryLogs'),
  ];
}

/** EventBridge Scheduler runs the batch task on the cluster and passes it its two roles. */
export function schedulerStatements(arns: { taskDefinitionFamilyArn: string; clusterArn: string; passRoleArns: readonly string[] }): Statement[] {
  return [
    allow(['ecs:RunTask'], `${arns.taskDefinitionFamilyArn}:*`, { ArnEquals: { 'ecs:cluster': arns.clusterArn } }, 'RunBatch'),
    allow(['iam:PassRole'], arns.passRoleArns, { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } }, 'PassBatchRoles'),
  ];
}

/** `arn:aws:kms:eu-west-1:123:key/x` -> `eu-west-1`. */
export function regionOf(arn: string): string {
  const region = arn.split(':')[3];
  if (region === undefined || region === '') throw new ComponentArgsError('permissions', `'${arn}' is not a regional ARN`);
  return region;
}
