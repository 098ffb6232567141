import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { PROJECT } from '../../shared/catalog.js';
import {
  ATHENA_RESULTS_PREFIX,
  ENRICHED_COLUMNS,
  ENRICHED_PARTITIONS,
  ENRICHED_PREFIX,
  RAW_ARCHIVE_COLUMNS,
  RAW_ARCHIVE_PARTITIONS,
  RAW_ARCHIVE_PREFIX,
} from '../../shared/analytics-schema.js';
import type { StackContext } from '../context.js';
import { glueColumns, glueDatabaseName, projectionParameters } from '../lib/glue.js';
import { SecureBucket } from './secure-bucket.js';

/** Days Athena's query results stay in the analytics bucket. */
export const ATHENA_RESULTS_EXPIRE_DAYS = 7;

export interface AnalyticsArgs {
  readonly context: StackContext;
  readonly keyArn: pulumi.Input<string>;
  /** The analytics bucket's name (catalog name with the account id suffix). */
  readonly bucketName: pulumi.Input<string>;
  /** The raw archive bucket's name, for the Glue table over it. */
  readonly rawArchiveBucketName: pulumi.Input<string>;
  /** Leave out Glue and Athena (LocalStack's free edition has neither). */
  readonly bucketOnly?: boolean;
}

/**
 * Analytics: the secure analytics bucket (enriched Parquet and Athena results), a Glue database
 * with a table over the raw archive (gz NDJSON) and one over the enriched Parquet, both with
 * partition projection so no crawler is needed, and an Athena workgroup that enforces its settings
 * and encrypts results with the project key. The batch job that writes the Parquet is scheduled by
 * `BatchSchedule`, a child of this component.
 *
 * @example
 * new Analytics('dev-analytics', { context, keyArn, bucketName, rawArchiveBucketName });
 */
export class Analytics extends pulumi.ComponentResource {
  public readonly bucket: SecureBucket;
  /** Glue database name; undefined when bucket-only. */
  public readonly databaseName: pulumi.Output<string> | undefined;
  /** Athena workgroup name; undefined when bucket-only. */
  public readonly workgroupName: pulumi.Output<string> | undefined;

  public constructor(name: string, args: AnalyticsArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('realtime-insights:analytics:Analytics', name, {}, opts);
    const { context } = args;
    this.bucket = new SecureBucket(
      `${name}-bucket`,
      {
        bucketName: args.bucketName,
        keyArn: args.keyArn,
        forceDestroy: context.forceDestroy,
        protect: context.protect,
        // Query results are kept by Athena's console for re-download only: a week, not for ever.
        prefixExpirations: [{ prefix: ATHENA_RESULTS_PREFIX, days: ATHENA_RESULTS_EXPIRE_DAYS }],
      },
      { parent: this },
    );

    if (args.bucketOnly !== true) {
      const database = new aws.glue.CatalogDatabase(
        `${name}-database`,
        { name: glueDatabaseName(PROJECT, context.stack), description: `Raw archive and enriched Parquet of ${context.stack}` },
        { parent: this },
      );
      new aws.glue.CatalogTable(
        `${name}-raw-table`,
        {
          name: 'raw_archive',
          databaseName: database.name,
          description: 'Firehose copy of the raw stream: one raw record per line, GZIP NDJSON',
          tableType: 'EXTERNAL_TABLE',
          parameters: pulumi.output(args.rawArchiveBucketName).apply((bucket) => ({
            classification: 'json',
            compressionType: 'gzip',
            EXTERNAL: 'TRUE',
            ...projectionParameters(bucket, RAW_ARCHIVE_PREFIX, RAW_ARCHIVE_PARTITIONS),
          })),
          partitionKeys: glueColumns(RAW_ARCHIVE_PARTITIONS),
          storageDescriptor: {
            location: pulumi.interpolate`s3://${args.rawArchiveBucketName}/${RAW_ARCHIVE_PREFIX}`,
            inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
            outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
            compressed: true,
            serDeInfo: { serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe', parameters: { 'ignore.malformed.json': 'true' } },
            columns: glueColumns(RAW_ARCHIVE_COLUMNS),
          },
        },
        { parent: this },
      );
      new aws.glue.CatalogTable(
        `${name}-enriched-table`,
        {
          name: 'enriched_transactions',
          databaseName: database.name,
          description: 'Enriched transactions from the batch job, Hive-partitioned Parquet',
          tableType: 'EXTERNAL_TABLE',
          parameters: this.bucket.name.apply((bucket) => ({
            classification: 'parquet',
            EXTERNAL: 'TRUE',
            ...projectionParameters(bucket, ENRICHED_PREFIX, ENRICHED_PARTITIONS),
          })),
          partitionKeys: glueColumns(ENRICHED_PARTITIONS),
          storageDescriptor: {
            location: pulumi.interpolate`s3://${this.bucket.name}/${ENRICHED_PREFIX}`,
            inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
            outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
            serDeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
            columns: glueColumns(ENRICHED_COLUMNS),
          },
        },
        { parent: this },
      );
      const workgroup = new aws.athena.Workgroup(
        `${name}-workgroup`,
        {
          name: `${PROJECT}-${context.stack}`,
          description: `Queries over ${context.stack}'s archive and Parquet; settings enforced`,
          forceDestroy: context.forceDestroy,
          configuration: {
            enforceWorkgroupConfiguration: true,
            publishCloudwatchMetricsEnabled: true,
            // 10 GiB per query: a runaway full scan costs cents, not dollars.
            bytesScannedCutoffPerQuery: 10 * 1024 ** 3,
            resultConfiguration: {
              outputLocation: pulumi.interpolate`s3://${this.bucket.name}/${ATHENA_RESULTS_PREFIX}`,
              encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKeyArn: args.keyArn },
            },
          },
        },
        { parent: this },
      );
      this.databaseName = database.name;
      this.workgroupName = workgroup.name;
    }

    this.registerOutputs({
      bucketName: this.bucket.name,
      databaseName: this.databaseName,
      workgroupName: this.workgroupName,
    });
  }
}
