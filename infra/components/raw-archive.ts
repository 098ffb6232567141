import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { PROJECT } from '../../shared/catalog.js';
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
  readonly rawStreamArn: pulumi.Input<string>;
}

/** `raw/year=2026/month=11/day=25/hour=10/`: Hive-style, so Athena projects the partitions. */
export const ARCHIVE_PREFIX = `${RAW_ARCHIVE_PREFIX}year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/`;
/** Failed records land apart from good ones, by error type and day. */
export const ARCHIVE_ERROR_PREFIX = `${RAW_ARCHIVE_ERROR_PREFIX}!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/`;

/**
 * The raw archive: a secure S3 bucket that moves to cheaper storage with age, fed by a Firehose
 * delivery stream that reads the raw Kinesis stream and writes GZIP NDJSON under a time-partitioned
 * prefix. Firehose server-side encryption is deliberately unset (AWS rejects it when a Kinesis
 * stream is the source); the stream is already encrypted and Firehose's role decrypts it with the
 * project key, while the objects are written with SSE-KMS.
 *
 * @example
 * const archive = new RawArchive('dev-raw-archive', { context, config: config.archive, keyArn, bucketName, rawStreamArn });
 */
export class RawArchive extends pulumi.ComponentResource {
  /** The archive bucket. */
  public readonly bucket: SecureBucket;
  /** Name of the Firehose delivery stream. */
  public readonly deliveryStreamName: pulumi.Output<string>;
  /** Log group of Firehose's delivery errors. */
  public readonly logGroupName: pulumi.Output<string>;

  public constructor(name: string, args: RawArchiveArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('realtime-insights:archive:RawArchive', name, {}, opts);
    const { context, config } = args;
    const deliveryStreamName = `${PROJECT}-${context.stack}-raw-archive`;

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
        description: `Firehose ${deliveryStreamName}: read the raw stream, write the archive`,
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
          .all([args.keyArn, args.rawStreamArn, this.bucket.arn, logStreamArn])
          .apply(([keyArn, rawStreamArn, bucketArn, logArn]) =>
            render(policyDocument(firehoseStatements({ keyArn, rawStreamArn, bucketArn, logStreamArn: logArn }))),
          ),
      },
      { parent: this },
    );

    const delivery = new aws.kinesis.FirehoseDeliveryStream(
      `${name}-firehose`,
      {
        name: deliveryStreamName,
        destination: 'extended_s3',
        kinesisSourceConfiguration: { kinesisStreamArn: args.rawStreamArn, roleArn: role.arn },
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

    this.deliveryStreamName = delivery.name;
    this.logGroupName = logGroup.name;
    this.registerOutputs({ bucketName: this.bucket.name, deliveryStreamName: this.deliveryStreamName, logGroupName: this.logGroupName });
  }
}
