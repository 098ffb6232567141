import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { bucketName, queueName, queuePrefix, resourceNames } from '../shared/catalog.js';
import type { TableName } from '../shared/catalog.js';
import { WORKER_VARIABLES, resourceVariables } from '../shared/worker-env.js';
import type { StackConfig } from './config.js';
import type { StackContext } from './context.js';
import { Analytics } from './components/analytics.js';
import { Autoscaling } from './components/autoscaling.js';
import { Encryption } from './components/encryption.js';
import { Network } from './components/network.js';
import { Observability } from './components/observability.js';
import { Queue } from './components/queue.js';
import { RawArchive } from './components/raw-archive.js';
import { Secrets } from './components/secrets.js';
import { Streams } from './components/streams.js';
import { Tables } from './components/tables.js';
import { HEALTH_PORT } from './components/worker-task.js';
import { Workers } from './components/workers.js';
import type { ImageSource } from './components/workers.js';
import { serviceBounds } from './lib/scaling.js';

/** CloudWatch namespace and backlog metric: the contract's defaults, so workers and alarms agree. */
export const METRICS_NAMESPACE = WORKER_VARIABLES.METRICS_NAMESPACE.default;
export const BACKLOG_METRIC_NAME = WORKER_VARIABLES.BACKLOG_METRIC_NAME.default;

export interface ProgramOptions {
  /** Where the worker image is built from. @default the repository root and its Dockerfile */
  readonly image?: ImageSource;
}

/**
 * The repository root relative to the working directory (Pulumi runs the program from the
 * directory of Pulumi.yaml, the repository root, so this is normally `.`): relative paths keep
 * the image inputs the same on every machine.
 */
export function defaultImageSource(): ImageSource {
  const root = fileURLToPath(new URL('../', import.meta.url));
  const context = path.relative(process.cwd(), root) || '.';
  return { context, dockerfile: path.join(context, 'Dockerfile') };
}

/**
 * The whole stack from a validated config: the data plane (key, streams, archive, tables,
 * analytics bucket) always; network, queue, workers, autoscaling, Glue/Athena, the batch schedule
 * and observability unless the stack is data-plane-only. Returns the stack outputs.
 */
export function createProgram(config: StackConfig, options: ProgramOptions = {}) {
  const identity = aws.getCallerIdentityOutput();
  const partition = aws.getPartitionOutput().partition;
  const context: StackContext = {
    stack: config.stack,
    region: config.region,
    accountId: identity.accountId,
    partition,
    protect: config.deletionProtection,
    forceDestroy: config.forceDestroy,
    logRetentionDays: config.logRetentionDays,
  };
  const names = resourceNames(config.stack);
  // S3 names are global: the account id keeps two accounts' stacks of the same name apart.
  const buckets = {
    rawArchive: identity.accountId.apply((id) => bucketName(config.stack, 'rawArchive', id)),
    analytics: identity.accountId.apply((id) => bucketName(config.stack, 'analytics', id)),
  };

  const encryption = new Encryption('encryption', { context });
  const keyArn = encryption.keyArn;
  const streams = new Streams('streams', { context, config: config.streams, keyArn });
  const tables = new Tables('tables', { context, keyArn });
  const archive = new RawArchive('raw-archive', { context, config: config.archive, keyArn, bucketName: buckets.rawArchive, rawStreamArn: streams.arns.raw });

  const dataPlane = {
    stack: config.stack,
    region: config.region,
    keyArn,
    keyAlias: encryption.aliasName,
    streams: {
      raw: { name: names.streams.raw, arn: streams.arns.raw },
      results: { name: names.streams.results, arn: streams.arns.results },
    },
    tables: names.tables,
    buckets: { rawArchive: archive.bucket.name, analytics: buckets.analytics },
    deliveryStreamName: archive.deliveryStreamName,
    /** The variables that name data-plane resources, for running workers against this stack. */
    dataPlaneEnvironment: pulumi.all([archive.bucket.name, buckets.analytics]).apply(([rawArchive, analytics]) => ({
      INSIGHTS_STACK: config.stack,
      ...resourceVariables({ ...names, buckets: { rawArchive, analytics }, queues: { scoring: queueName(config.stack, 'scoring'), sync: queueName(config.stack, 'sync') }, queuePrefix: queuePrefix(config.stack) }),
    })),
  };

  const compute = config.compute;
  if (compute === undefined) {
    const analytics = new Analytics('analytics', { context, keyArn, bucketName: buckets.analytics, rawArchiveBucketName: archive.bucket.name, bucketOnly: true });
    return { ...dataPlane, buckets: { rawArchive: archive.bucket.name, analytics: analytics.bucket.name } };
  }

  const secrets = new Secrets('secrets', {
    context,
    keyArn,
    brokerApiKey: pulumi.secret(compute.brokerApiKey),
    redisAuthToken: pulumi.secret(compute.redisAuthToken),
  });
  const network = new Network('network', { context, config: compute.network });
  const queue = new Queue('queue', {
    context,
    config: compute.redis,
    keyArn,
    authToken: pulumi.secret(compute.redisAuthToken),
    subnetIds: network.taskSubnetIds,
    securityGroupId: network.redisSecurityGroupId,
  });

  const bounds = serviceBounds(compute.scaling, config.streams);
  const workers = new Workers('workers', {
    context,
    keyArn,
    image: options.image ?? defaultImageSource(),
    tasks: compute.tasks,
    initialCount: {
      crawler: bounds.crawler.min,
      'stream-reader': bounds['stream-reader'].min,
      scorer: bounds.scorer.min,
      projector: bounds.projector.min,
    },
    stopTimeoutSeconds: compute.stopTimeoutSeconds,
    values: pulumi.all([buckets.rawArchive, buckets.analytics, queue.redisUrl]).apply(([rawArchive, analytics, redisUrl]) => ({
      stack: config.stack,
      logLevel: config.logLevel,
      stopTimeoutSeconds: compute.stopTimeoutSeconds,
      healthPort: HEALTH_PORT,
      streams: names.streams,
      tables: names.tables,
      buckets: { rawArchive, analytics },
      redisUrl,
      scoringQueue: names.queues.scoring,
      syncQueue: names.queues.sync,
      queuePrefix: names.queuePrefix,
      brokerUrl: compute.brokerUrl,
      metricsNamespace: METRICS_NAMESPACE,
      backlogMetricName: BACKLOG_METRIC_NAME,
    })),
    arns: pulumi
      .all([keyArn, streams.arns.raw, streams.arns.results, pulumi.all(tables.arns) as pulumi.Output<Record<TableName, string>>, buckets.rawArchive, buckets.analytics, partition])
      .apply(([key, raw, results, tableArns, rawArchive, analytics, part]) => ({
        keyArn: key,
        streams: { raw, results },
        tables: tableArns,
        buckets: { rawArchive: `arn:${part}:s3:::${rawArchive}`, analytics: `arn:${part}:s3:::${analytics}` },
        metricsNamespace: METRICS_NAMESPACE,
      })),
    secretArns: pulumi.all(secrets.arns),
    subnetIds: network.taskSubnetIds,
    securityGroupId: network.taskSecurityGroupId,
  });

  new Autoscaling('autoscaling', {
    context,
    config: compute.scaling,
    bounds,
    streamNames: names.streams,
    clusterName: workers.clusterName,
    serviceNames: workers.serviceNames,
    backlogMetric: { namespace: METRICS_NAMESPACE, metricName: BACKLOG_METRIC_NAME },
  });

  const batch = workers.tasks.batch;
  const analytics = new Analytics('analytics', {
    context,
    keyArn,
    bucketName: buckets.analytics,
    rawArchiveBucketName: archive.bucket.name,
    batch: {
      expression: compute.batchSchedule,
      clusterArn: workers.clusterArn,
      taskDefinitionArn: batch.taskDefinitionArn,
      taskFamily: batch.family,
      taskRoleArn: batch.taskRoleArn,
      executionRoleArn: batch.executionRoleArn,
      subnetIds: network.taskSubnetIds,
      securityGroupId: network.taskSecurityGroupId,
    },
  });

  const observability = new Observability('observability', {
    context,
    config: compute.alarms,
    keyArn,
    streams: names.streams,
    deliveryStreamName: archive.deliveryStreamName,
    deliveryBufferSeconds: config.archive.bufferIntervalSeconds,
    tables: { view: names.tables.view, rejects: names.tables.rejects },
    clusterName: workers.clusterName,
    serviceNames: Object.values(workers.serviceNames),
    redisReplicationGroupId: queue.replicationGroupId,
    namespace: METRICS_NAMESPACE,
    backlogMetric: BACKLOG_METRIC_NAME,
  });

  return {
    ...dataPlane,
    buckets: { rawArchive: archive.bucket.name, analytics: analytics.bucket.name },
    redisEndpoint: queue.primaryEndpoint,
    redisUrl: queue.redisUrl,
    clusterName: workers.clusterName,
    serviceNames: workers.serviceNames,
    imageUri: workers.imageUri,
    replayTaskDefinition: workers.tasks.replay.taskDefinitionArn,
    glueDatabase: analytics.databaseName,
    athenaWorkgroup: analytics.workgroupName,
    batchSchedule: analytics.scheduleName,
    alarmTopicArn: observability.topicArn,
    dashboardUrl: observability.dashboardUrl,
  };
}
