import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { bucketName } from '../shared/catalog.js';
import type { StreamConsumerName } from '../shared/catalog.js';
import { WORKER_VARIABLES, consumerVariables, resourceVariables } from '../shared/worker-env.js';
import { TASK_ROLES } from './config.js';
import type { StackConfig, TaskRole } from './config.js';
import type { StackContext } from './context.js';
import { Analytics } from './components/analytics.js';
import { ApiGateway } from './components/api-gateway.js';
import { BatchSchedule } from './components/batch-schedule.js';
import { Autoscaling } from './components/autoscaling.js';
import { Encryption } from './components/encryption.js';
import { Network } from './components/network.js';
import { Observability } from './components/observability.js';
import { Queue } from './components/queue.js';
import { RawArchive } from './components/raw-archive.js';
import { Secrets } from './components/secrets.js';
import { StreamConsumers } from './components/stream-consumers.js';
import { Streams } from './components/streams.js';
import { Tables } from './components/tables.js';
import { HEALTH_PORT } from './components/worker-task.js';
import { Webhook } from './components/webhook.js';
import { Workers } from './components/workers.js';
import type { ImageSource } from './components/workers.js';
import { catalogArns, catalogNames } from './lib/catalog-outputs.js';
import type { CatalogResources } from './lib/catalog-outputs.js';
import { brokerPort, roleEgress } from './lib/egress.js';
import type { EgressDestination } from './lib/egress.js';
import { currentImageTag } from './lib/image-tag.js';
import { serviceBounds } from './lib/scaling.js';

/** CloudWatch namespace and backlog metric: the contract's defaults, so workers and alarms agree. */
export const METRICS_NAMESPACE = WORKER_VARIABLES.METRICS_NAMESPACE.default;
export const BACKLOG_METRIC_NAME = WORKER_VARIABLES.BACKLOG_METRIC_NAME.default;
/** Webhooks per second the endpoint admits (and at once): far above any aggregator's delivery rate, a cap on abuse. */
const WEBHOOK_THROTTLE = { rate: 200, burst: 400 } as const;
/** Crawler tasks the sync backlog may scale to; each syncs CRAWLER_SYNC_CONCURRENCY connections at once. */
const CRAWLER_MAX_TASKS = 8;
/** Syncs waiting or running per crawler task that the scaling policy holds. */
const SYNCS_PER_CRAWLER = 8;

export interface ProgramOptions {
  /** Where the worker image is built from. @default the repository root and its Dockerfile */
  readonly image?: ImageSource;
}

/**
 * The repository root relative to the working directory, and the image tagged by the commit it
 * is built from (Pulumi runs the program from the
 * directory of Pulumi.yaml, the repository root, so this is normally `.`): relative paths keep
 * the image inputs the same on every machine.
 */
export function defaultImageSource(): ImageSource {
  const root = fileURLToPath(new URL('../', import.meta.url));
  const context = path.relative(process.cwd(), root) || '.';
  return { context, dockerfile: path.join(context, 'Dockerfile'), tag: currentImageTag(root) };
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

  // ---- Data plane: the key, the catalog's streams, tables and buckets, the archive and analytics. ----
  const encryption = new Encryption('encryption', { context });
  const keyArn = encryption.keyArn;
  const streams = new Streams('streams', { context, config: config.streams, keyArn });
  const consumers = new StreamConsumers('stream-consumers', { context, streamArns: { raw: streams.resources.raw.arn, results: streams.resources.results.arn, rawHistory: streams.resources.rawHistory.arn, resultsHistory: streams.resources.resultsHistory.arn } });
  const consumerArns = pulumi.all(consumers.arns) as pulumi.Output<Record<StreamConsumerName, string>>;
  const tables = new Tables('tables', { context, keyArn });
  // S3 names are global: the account id keeps two accounts' stacks of the same name apart.
  const bucketNameOf = (logical: 'rawArchive' | 'analytics') => identity.accountId.apply((id) => bucketName(config.stack, logical, id));
  const archive = new RawArchive('raw-archive', {
    context,
    config: config.archive,
    keyArn,
    bucketName: bucketNameOf('rawArchive'),
    rawStreamArns: { raw: streams.resources.raw.arn, rawHistory: streams.resources.rawHistory.arn },
  });
  const analytics = new Analytics('analytics', {
    context,
    keyArn,
    bucketName: bucketNameOf('analytics'),
    rawArchiveBucketName: archive.bucket.name,
    bucketOnly: config.compute === undefined,
  });
  /** Every catalog resource as its component created it: the one source of names and ARNs below. */
  const catalog: CatalogResources = {
    streams: streams.resources,
    tables: tables.resources,
    buckets: { rawArchive: archive.bucket, analytics: analytics.bucket },
  };
  const names = catalogNames(config.stack, catalog);

  const dataPlane = {
    stack: config.stack,
    region: config.region,
    keyArn,
    keyAlias: encryption.aliasName,
    streams: streams.resources,
    tables: names.tables,
    buckets: names.buckets,
    deliveryStreamNames: archive.deliveryStreamNames,
    /** The variables that name data-plane resources, for running workers against this stack. */
    consumerArns,
    dataPlaneEnvironment: pulumi.all([names, consumerArns]).apply(([resourceNames, arns]) => ({ INSIGHTS_STACK: config.stack, ...resourceVariables(resourceNames), ...consumerVariables(arns) })),
  };

  const compute = config.compute;
  if (compute === undefined) return dataPlane;

  // ---- Compute: network, queue, the workers, their scaling, the batch schedule, alarms. ----
  const secrets = new Secrets('secrets', {
    context,
    keyArn,
    brokerApiKey: compute.secrets.brokerApiKey,
    redisAuthToken: compute.secrets.redisAuthToken,
  });
  const broker = { port: brokerPort(compute.brokerUrl), cidrs: compute.brokerCidrs };
  const network = new Network('network', {
    context,
    config: compute.network,
    keyArn,
    egress: Object.fromEntries([...TASK_ROLES, 'webhook' as const, 'api' as const].map((role) => [role, roleEgress(role, broker)])) as Record<TaskRole | 'webhook' | 'api', EgressDestination[]>,
  });
  const queue = new Queue('queue', {
    context,
    config: compute.redis,
    keyArn,
    authToken: compute.secrets.redisAuthToken,
    subnetIds: network.taskSubnetIds,
    securityGroupId: network.redisSecurityGroupId,
  });

  const bounds = serviceBounds(compute.scaling, config.streams);
  const values = pulumi.all([names, consumerArns, queue.redisUrl]).apply(([resources, arns, redisUrl]) => ({
    stack: config.stack,
    logLevel: config.logLevel,
    stopTimeoutSeconds: compute.stopTimeoutSeconds,
    healthPort: HEALTH_PORT,
    resources,
    consumerArns: arns,
    redisUrl,
    brokerUrl: compute.brokerUrl,
    metricsNamespace: METRICS_NAMESPACE,
    backlogMetricName: BACKLOG_METRIC_NAME,
  }));
  const arns = catalogArns(catalog, { keyArn, metricsNamespace: METRICS_NAMESPACE });
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
    waitForSteadyState: compute.waitForSteadyState,
    values,
    arns,
    secretArns: pulumi.all(secrets.arns),
    subnetIds: network.taskSubnetIds,
    securityGroupIds: Object.fromEntries(TASK_ROLES.map((role) => [role, network.securityGroupOf(role)])) as Record<TaskRole, pulumi.Output<string>>,
  });

  new Autoscaling('autoscaling', {
    context,
    config: compute.scaling,
    bounds,
    streamNames: { raw: streams.resources.raw.name, results: streams.resources.results.name },
    clusterName: workers.clusterName,
    serviceNames: workers.serviceNames,
    backlogMetric: { namespace: METRICS_NAMESPACE, metricName: BACKLOG_METRIC_NAME },
  });

  const batch = workers.tasks.batch;
  const batchSchedule = new BatchSchedule(
    'analytics-batch',
    {
      context,
      keyArn,
      expression: compute.batchSchedule,
      clusterArn: workers.clusterArn,
      taskDefinitionArn: batch.taskDefinitionArn,
      taskFamily: batch.family,
      taskRoleArn: batch.taskRoleArn,
      executionRoleArn: batch.executionRoleArn,
      subnetIds: network.taskSubnetIds,
      securityGroupId: network.securityGroupOf('batch'),
    },
    { parent: analytics },
  );

  const observability = new Observability('observability', {
    context,
    config: compute.alarms,
    keyArn,
    streams: { raw: streams.resources.raw.name, results: streams.resources.results.name, rawHistory: streams.resources.rawHistory.name, resultsHistory: streams.resources.resultsHistory.name },
    deliveryStreamNames: archive.deliveryStreamNames,
    deliveryBufferSeconds: config.archive.bufferIntervalSeconds,
    tables: { view: tables.resources.view.name, rejects: tables.resources.rejects.name },
    clusterName: workers.clusterName,
    serviceNames: Object.values(workers.serviceNames),
    redisReplicationGroupId: queue.replicationGroupId,
    batchDeadLetterQueue: batchSchedule.deadLetterQueueName,
    redisNodes: 1 + compute.redis.replicas,
    services: workers.serviceNames,
    allTables: Object.fromEntries(Object.entries(tables.resources).map(([logical, table]) => [logical, table.name])),
    namespace: METRICS_NAMESPACE,
    backlogMetric: BACKLOG_METRIC_NAME,
  });

  // The aggregator's webhooks in, as sync jobs for the crawler fleet, which scales on their backlog.
  const webhook = new Webhook('webhook', {
    context,
    keyArn,
    clusterArn: workers.clusterArn,
    clusterName: workers.clusterName,
    image: workers.imageUri,
    size: compute.tasks.crawler,
    desiredCount: 2,
    stopTimeoutSeconds: compute.stopTimeoutSeconds,
    waitForSteadyState: compute.waitForSteadyState,
    values,
    secretArns: pulumi.all(secrets.arns),
    vpcId: network.vpcId,
    subnetIds: network.taskSubnetIds,
    securityGroupId: network.securityGroupOf('webhook'),
    repositoryArn: workers.repositoryArn,
    throttle: WEBHOOK_THROTTLE,
    crawler: { serviceName: workers.serviceNames.crawler, bounds: { min: bounds.crawler.min, max: CRAWLER_MAX_TASKS }, backlogPerTask: SYNCS_PER_CRAWLER },
    alarms: { topicArn: observability.topicArn, refusedPerFiveMinutes: 10, syncBacklog: 500 },
    metricsNamespace: METRICS_NAMESPACE,
  });

  // The read path: the stack's only public entry besides the webhook endpoint (issue 14).
  const readApi = new ApiGateway('read-api', {
    context,
    config: compute.readApi,
    keyArn,
    clusterArn: workers.clusterArn,
    clusterName: workers.clusterName,
    image: workers.imageUri,
    stopTimeoutSeconds: compute.stopTimeoutSeconds,
    waitForSteadyState: compute.waitForSteadyState,
    values,
    arns,
    secretArns: pulumi.all(secrets.arns),
    vpcId: network.vpcId,
    subnetIds: network.taskSubnetIds,
    securityGroupId: network.securityGroupOf('api'),
    repositoryArn: workers.repositoryArn,
    alarmTopicArn: observability.topicArn,
  });

  return {
    ...dataPlane,
    insightsUrl: readApi.url,
    authIssuer: readApi.issuer,
    authAudience: readApi.audience,
    ...(readApi.userPoolId === undefined ? {} : { userPoolId: readApi.userPoolId }),
    webhookEndpoint: webhook.endpoint,
    syncQueue: names.apply((n) => n.queues.sync),
    redisEndpoint: queue.primaryEndpoint,
    redisUrl: queue.redisUrl,
    clusterName: workers.clusterName,
    serviceNames: workers.serviceNames,
    imageUri: workers.imageUri,
    replayTaskDefinition: workers.tasks.replay.taskDefinitionArn,
    /** What `aws ecs run-task --network-configuration` needs for a replay: the task subnets and replay's own group. */
    replayNetwork: { subnets: network.taskSubnetIds, securityGroups: [network.securityGroupOf('replay')] },
    glueDatabase: analytics.databaseName,
    athenaWorkgroup: analytics.workgroupName,
    batchSchedule: batchSchedule.scheduleName,
    alarmTopicArn: observability.topicArn,
    dashboardUrl: observability.dashboardUrl,
  };
}
