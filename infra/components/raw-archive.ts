import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { deliveryStreamName as deliveryStreamNameOf } from '../../shared/archive/archive-key.js';
import type { ArchivedStream } from '../../shared/archive/archive-key.js';
import { ARCHIVE_FILE_EXTENSION, RAW_ARCHIVE_ERROR_PREFIX, RAW_ARCHIVE_PREFIX } from '../../shared/analytics-schema.js';
import type { ArchiveConfig } from '../config.js';
import type { StackContext } from '../context.js';
import { policyDocument, render, renderTrust } from '../lib/iam.js';
import { firehoseStatements } from '../lib/permissions.js';
import { SecureBucket } from './secure-bucket.js';

export interface RawArchiveArgs {
  readonly context: StackContext;
  readonly config: ArchiveConfig;
  readonly keyArn: pulumi.Input<string>;
  /** The archive bucket's name (catalog name with the account id suffix). */
  readonly bucketName: pulumi.Input<string>;
  /** Each lane's raw stream: Firehose takes one Kinesis source per delivery stream, so each gets its own. */
  readonly rawStreamArns: Readonly<Record<ArchivedStream, pulumi.Input<string>>>;
}

/** `raw/year=2026/month=11/day=25/hour=10/`: Hive-style, so Athena projects the partitions. */
export const ARCHIVE_PREFIX = `${RAW_ARCHIVE_PREFIX}year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/`;
/** Failed records land apart from good ones, by error type and day. */
export const ARCHIVE_ERROR_PREFIX = `${RAW_ARCHIVE_ERROR_PREFIX}!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/`;

/**
 * The raw archive: a secure S3 bucket that moves to cheaper storage with age, fed by one Firehose
 * delivery stream per lane's raw Kinesis stream (live and history), both writing GZIP NDJSON under
 * the same time-partitioned prefix; each object's name starts with its delivery stream's, so the two
 * never collide and the batch job reads both alike. They share the role, the log group and its log
 * stream. Firehose server-side encryption is deliberately unset (AWS rejects it when a Kinesis
 * stream is the source); the stream is already encrypted and Firehose's role decrypts it with the
 * project key, while the objects are written with SSE-KMS.
 *
 * @example
 * const archive = new RawArchive('dev-raw-archive', { context, config: config.archive, keyArn, bucketName, rawStreamArns: { raw, rawHistory } });
 */
export class RawArchive extends pulumi.ComponentResource {
  /** The archive bucket. */
  public readonly bucket: SecureBucket;
  /** Name of each Firehose delivery stream, by the raw stream it reads. */
  public readonly deliveryStreamNames: Readonly<Record<ArchivedStream, pulumi.Output<string>>>;
  /** Log group of Firehose's delivery errors. */
  public readonly logGroupName: pulumi.Output<string>;

  public constructor(name: string, args: RawArchiveArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('realtime-insights:archive:RawArchive', name, {}, opts);
    const { context, config } = args;
    const deliveryStreamName = deliveryStreamNameOf(context.stack);

    this.bucket = new SecureBucket(
      `${name}-bucket`,
      {
        bucketName: args.bucketName,
        keyArn: args.keyArn,
        forceDestroy: context.forceDestroy,
        protect: context.protect,
        transitions: [
          { days: config.infrequentAccessDays, storageClass: 'STANDARD_IA' },
          { days: config.glacierDays, storageClass: 'GLACIER_IR' },
        ],
        expireDays: config.expireDays,
      },
      { parent: this },
    );

    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { name: `/aws/kinesisfirehose/${deliveryStreamName}`, retentionInDays: context.logRetentionDays, kmsKeyId: args.keyArn },
      { parent: this },
    );
    const logStream = new aws.cloudwatch.LogStream(`${name}-delivery-log`, { name: 'DestinationDelivery', logGroupName: logGroup.name }, { parent: this });

    const role = new aws.iam.Role(
      `${name}-role`,
      {
        description: `Firehose ${deliveryStreamName} and its history lane's: read the raw streams, write the archive`,
        assumeRolePolicy: pulumi.output(context.accountId).apply((accountId) =>
          renderTrust(
            policyDocument([
              {
                Effect: 'Allow',
                Principal: { Service: 'firehose.amazonaws.com' },
                Action: ['sts:AssumeRole'],
                Resource: '*',
                // Firehose passes the account id as the external id; no other account's stream can use the role.
                Condition: { StringEquals: { 'sts:ExternalId': accountId } },
              },
            ]),
          ),
        ),
      },
      { parent: this },
    );
    const logStreamArn = pulumi.interpolate`${logGroup.arn}:log-stream:${logStream.name}`;
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-role-policy`,
      {
        role: role.id,
        policy: pulumi
          .all([args.keyArn, args.rawStreamArns.raw, args.rawStreamArns.rawHistory, this.bucket.arn, logStreamArn])
          .apply(([keyArn, raw, rawHistory, bucketArn, logArn]) =>
            render(policyDocument(firehoseStatements({ keyArn, rawStreamArns: { raw, rawHistory }, bucketArn, logStreamArn: logArn }))),
          ),
      },
      { parent: this },
    );

    const deliveryFor = (stream: ArchivedStream) =>
      new aws.kinesis.FirehoseDeliveryStream(
      // The live lane's keeps the resource name it always had, so an update does not replace it.
      stream === 'raw' ? `${name}-firehose` : `${name}-firehose-${stream}`,
      {
        name: deliveryStreamNameOf(context.stack, stream),
        destination: 'extended_s3',
        kinesisSourceConfiguration: { kinesisStreamArn: args.rawStreamArns[stream], roleArn: role.arn },
        extendedS3Configuration: {
          bucketArn: this.bucket.arn,
          roleArn: role.arn,
          prefix: ARCHIVE_PREFIX,
          errorOutputPrefix: ARCHIVE_ERROR_PREFIX,
          compressionFormat: 'GZIP',
          fileExtension: ARCHIVE_FILE_EXTENSION,
          bufferingSize: config.bufferSizeMb,
          bufferingInterval: config.bufferIntervalSeconds,
          // Objects are encrypted in S3 with the project key (this is not Firehose SSE).
          kmsKeyArn: args.keyArn,
          // Firehose concatenates records as they are and the crawler puts bare JSON objects: a
          // newline after each record is what makes the archive NDJSON for the batch job and Athena.
          processingConfiguration: { enabled: true, processors: [{ type: 'AppendDelimiterToRecord' }] },
          cloudwatchLoggingOptions: { enabled: true, logGroupName: logGroup.name, logStreamName: logStream.name },
        },
      },
      // Firehose checks its role can read the stream when it is created.
      { parent: this, dependsOn: [rolePolicy] },
    );

    const deliveries = { raw: deliveryFor('raw'), rawHistory: deliveryFor('rawHistory') };

    this.deliveryStreamNames = { raw: deliveries.raw.name, rawHistory: deliveries.rawHistory.name };
    this.logGroupName = logGroup.name;
    this.registerOutputs({ bucketName: this.bucket.name, deliveryStreamNames: this.deliveryStreamNames, logGroupName: this.logGroupName });
  }
}
