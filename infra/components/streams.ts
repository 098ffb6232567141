import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { streamName } from '../../shared/catalog.js';
import type { StreamName } from '../../shared/catalog.js';
import type { StreamsConfig } from '../config.js';
import type { StackContext } from '../context.js';
import { ComponentArgsError } from '../errors.js';
import type { CatalogResource } from '../lib/catalog-outputs.js';

export interface StreamsArgs {
  readonly context: StackContext;
  readonly config: StreamsConfig;
  /** The project key: both streams are encrypted with it. */
  readonly keyArn: pulumi.Input<string>;
}

/**
 * Shard-level metrics (billed as custom metrics, per shard and metric): only those an alarm or a
 * scaling policy reads. Today none does: the iterator-age and read-throttle alarms read the free
 * stream-level metrics and the readers scale on their own MillisBehindLatest. Add a name here
 * together with the alarm that reads it per shard (a test holds the two together).
 */
export const SHARD_LEVEL_METRICS: readonly string[] = [];

/**
 * The catalog's Kinesis streams, both lanes' (`raw` and `results` live, `rawHistory` and
 * `resultsHistory` for backfills), named per stack, KMS-encrypted with the project key, provisioned or on-demand per stack config, shard-level metrics only where read.
 *
 * @example
 * const streams = new Streams('dev-streams', { context, config: config.streams, keyArn });
 * streams.resources.raw.arn; // for the crawler's PutRecords grant
 */
export class Streams extends pulumi.ComponentResource {
  /** The stream resources by logical name. */
  public readonly streams: Readonly<Record<StreamName, aws.kinesis.Stream>>;
  /** Name and ARN of each stream, as the stream reports them: what tasks and policies are given. */
  public readonly resources: Readonly<Record<StreamName, CatalogResource>>;

  public constructor(name: string, args: StreamsArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('realtime-insights:streams:Streams', name, {}, opts);
    const { config, context } = args;
    const shards: Record<StreamName, number | undefined> = {
      raw: config.rawShards,
      results: config.resultsShards,
      rawHistory: config.rawHistoryShards,
      resultsHistory: config.resultsHistoryShards,
    };
    const missing = Object.entries(shards).filter(([, count]) => count === undefined);
    if (config.mode === 'provisioned' && missing.length > 0) {
      throw new ComponentArgsError('Streams', `a provisioned stream needs a shard count: set ${missing.map(([logical]) => `${logical}Shards`).join(', ')}`);
    }
    const make = (logical: StreamName) =>
      new aws.kinesis.Stream(
        `${name}-${logical}`,
        {
          name: streamName(context.stack, logical),
          streamModeDetails: { streamMode: config.mode === 'on-demand' ? 'ON_DEMAND' : 'PROVISIONED' },
          ...(config.mode === 'provisioned' ? { shardCount: shards[logical] } : {}),
          retentionPeriod: config.retentionHours,
          encryptionType: 'KMS',
          kmsKeyId: args.keyArn,
          ...(SHARD_LEVEL_METRICS.length === 0 ? {} : { shardLevelMetrics: [...SHARD_LEVEL_METRICS] }),
          // Deleting a stack's stream must not wait on a forgotten enhanced fan-out consumer.
          enforceConsumerDeletion: true,
          tags: { 'realtime-insights:stream': logical },
        },
        { parent: this, protect: context.protect },
      );
    this.streams = { raw: make('raw'), results: make('results'), rawHistory: make('rawHistory'), resultsHistory: make('resultsHistory') };
    const resource = (stream: aws.kinesis.Stream): CatalogResource => ({ name: stream.name, arn: stream.arn });
    this.resources = {
      raw: resource(this.streams.raw),
      results: resource(this.streams.results),
      rawHistory: resource(this.streams.rawHistory),
      resultsHistory: resource(this.streams.resultsHistory),
    };
    this.registerOutputs({ resources: this.resources });
  }
}
