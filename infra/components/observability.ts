import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { PROJECT, STREAMS, STREAM_CONSUMERS } from '../../shared/catalog.js';
import type { StreamName } from '../../shared/catalog.js';
import type { ArchivedStream } from '../../shared/archive/archive-key.js';
import type { AlarmsConfig } from '../config.js';
import type { StackContext } from '../context.js';
import { METRIC_ROLE_DIMENSION, METRIC_STACK_DIMENSION } from '../../shared/metrics.js';
import { PIPELINE_METRICS, dashboardBody, dashboardUrl } from '../lib/dashboard.js';

/** Redis memory (percent of maxmemory) above which the alarm fires: room to act before noeviction refuses writes. */
export const REDIS_MEMORY_ALARM_PERCENT = 80;

/**
 * Iterator age over which the history lane's streams alarm: a wave of sign-ups is behind by design
 * while it is scored (live goes first), so the live lane's threshold would page on every wave;
 * a backfill a quarter of an hour old is one that does not move.
 */
export const HISTORY_ITERATOR_AGE_MS = 15 * 60_000;

/** The registered consumer (catalog `STREAM_CONSUMERS`) by which `reader` reads `stream`, if it subscribes rather than polls. */
function subscriberOf(stream: StreamName, reader: string): string | undefined {
  return Object.values(STREAM_CONSUMERS).find((consumer) => consumer.stream === stream && consumer.consumerName === reader)?.consumerName;
}

/** `rawHistory` → `raw-history`, as the catalog names its resources: alarm names stay as they were for the live lane. */
const kebab = (logical: string): string => logical.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

export interface ObservabilityArgs {
  readonly context: StackContext;
  readonly config: AlarmsConfig;
  readonly keyArn: pulumi.Input<string>;
  /** Every stream of the catalog, both lanes'. */
  readonly streams: Readonly<Record<StreamName, pulumi.Input<string>>>;
  /** The delivery stream of each lane's raw stream. */
  readonly deliveryStreamNames: Readonly<Record<ArchivedStream, pulumi.Input<string>>>;
  /** Buffer interval of the delivery stream, seconds: data older than twice that is late. */
  readonly deliveryBufferSeconds: number;
  readonly tables: { readonly view: pulumi.Input<string>; readonly rejects: pulumi.Input<string> };
  readonly clusterName: pulumi.Input<string>;
  readonly serviceNames: pulumi.Input<pulumi.Input<string>[]>;
  readonly redisReplicationGroupId: pulumi.Input<string>;
  /** Nodes of the replication group (primary plus replicas): `<id>-001` to `<id>-00N`, any of them the primary after a failover. */
  readonly redisNodes: number;
  /** ECS service names by role: each gets a running-below-desired alarm. */
  readonly services: Readonly<Record<string, pulumi.Input<string>>>;
  /** Every DynamoDB table by logical name: each gets a throttling alarm. */
  readonly allTables: Readonly<Record<string, pulumi.Input<string>>>;
  /** The batch schedule's dead-letter queue: any message there is a run that never started. */
  readonly batchDeadLetterQueue: pulumi.Input<string>;
  /** CloudWatch namespace and backlog metric of the workers (from the environment contract). */
  readonly namespace: string;
  readonly backlogMetric: string;
}

/**
 * Alarms and the dashboard: iterator age of both streams, the readers' own lag, throttled reads,
 * failed and stalled scoring jobs,
 * Firehose delivery failures and lateness, and reject volume, all notifying an SNS topic that is
 * encrypted with the project key (and e-mails someone, where the stack names an address).
 *
 * @example
 * const observability = new Observability('dev-observability', { context, config: alarms, keyArn, ... });
 * observability.dashboardUrl;
 */
export class Observability extends pulumi.ComponentResource {
  /** SNS topic every alarm notifies. */
  public readonly topicArn: pulumi.Output<string>;
  /** CloudWatch dashboard name. */
  public readonly dashboardName: pulumi.Output<string>;
  /** Console address of the dashboard. */
  public readonly dashboardUrl: pulumi.Output<string>;
  /** Names of the alarms. */
  public readonly alarmNames: pulumi.Output<string>[];

  public constructor(name: string, args: ObservabilityArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('realtime-insights:observability:Observability', name, {}, opts);
    const { context, config } = args;
    const prefix = `${PROJECT}-${context.stack}`;

    const topic = new aws.sns.Topic(`${name}-alarms`, { name: `${prefix}-alarms`, kmsMasterKeyId: args.keyArn }, { parent: this });
    if (config.email !== undefined) {
      new aws.sns.TopicSubscription(`${name}-alarms-email`, { topic: topic.arn, protocol: 'email', endpoint: config.email }, { parent: this });
    }
    const actions = { alarmActions: [topic.arn], okActions: [topic.arn] };
    const alarms: aws.cloudwatch.MetricAlarm[] = [];
    const alarm = (suffix: string, alarmArgs: aws.cloudwatch.MetricAlarmArgs) => {
      alarms.push(new aws.cloudwatch.MetricAlarm(`${name}-${suffix}`, { name: `${prefix}-${suffix}`, ...actions, ...alarmArgs }, { parent: this }));
    };

    for (const [logical, reader] of [
      ['raw', 'stream-reader'],
      ['results', 'projector'],
      ['rawHistory', 'stream-reader'],
      ['resultsHistory', 'projector'],
    ] as const) {
      const stream = args.streams[logical];
      const threshold = STREAMS[logical].lane === 'history' ? HISTORY_ITERATOR_AGE_MS : config.iteratorAgeMs;
      // A reader that subscribes makes no GetRecords call: its stream's GetRecords iterator age is
      // another reader's (Firehose on raw) or nobody's (results, which would then alarm for ever).
      // Kinesis reports a subscriber's own lag per registered consumer instead.
      const subscriber = subscriberOf(logical, reader);
      alarm(`${kebab(logical)}-iterator-age`, {
        alarmDescription: pulumi.interpolate`The ${reader} is falling behind on ${stream} (oldest unread record is older than ${threshold} ms), or not reading at all.`,
        namespace: 'AWS/Kinesis',
        ...(subscriber === undefined
          ? { metricName: 'GetRecords.IteratorAgeMilliseconds', dimensions: { StreamName: stream } }
          : { metricName: 'SubscribeToShardEvent.MillisBehindLatest', dimensions: { StreamName: stream, ConsumerName: subscriber } }),
        statistic: 'Maximum',
        period: 60,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        threshold,
        comparisonOperator: 'GreaterThanThreshold',
        // Pollers call GetRecords and subscriptions get an event every few seconds even on an idle
        // stream, so no data means nobody is reading.
        treatMissingData: 'breaching',
      });
    }
    // The readers' own lag (agreement 3), the live lane's: the raw stream's iterator age above cannot
    // show a dead stream-reader while Firehose keeps reading it; a reader that stops writes no datapoint.
    for (const reader of ['stream-reader', 'projector'] as const) {
      alarm(`${reader}-lag`, {
        alarmDescription: `The ${reader} is more than ${config.iteratorAgeMs} ms behind its stream (its own MillisBehindLatest, worst worker), or no ${reader} is running.`,
        namespace: args.namespace,
        metricName: PIPELINE_METRICS.millisBehindLatest,
        dimensions: { [METRIC_STACK_DIMENSION]: context.stack, [METRIC_ROLE_DIMENSION]: reader },
        statistic: 'Maximum',
        period: 60,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        threshold: config.iteratorAgeMs,
        comparisonOperator: 'GreaterThanThreshold',
        // Every running reader writes the metric each minute: none means none is running.
        treatMissingData: 'breaching',
      });
    }
    // Reads over a shard's five GetRecords a second (every reader of the stream shares them): the
    // consumers' cadences are sized never to hit it, so any throttled read is a finding.
    for (const logical of Object.keys(STREAMS) as StreamName[]) {
      const stream = args.streams[logical];
      alarm(`${kebab(logical)}-read-throttled`, {
        alarmDescription: pulumi.interpolate`GetRecords on ${stream} were throttled (ReadProvisionedThroughputExceeded): its readers together exceed 5 calls or 2 MiB per second per shard.`,
        namespace: 'AWS/Kinesis',
        metricName: 'ReadProvisionedThroughputExceeded',
        dimensions: { StreamName: stream },
        statistic: 'Sum',
        period: 300,
        evaluationPeriods: 1,
        threshold: 0,
        comparisonOperator: 'GreaterThanThreshold',
        treatMissingData: 'notBreaching',
      });
    }
    for (const [suffix, metric, what] of [
      ['jobs-failed', PIPELINE_METRICS.jobsFailed, 'Scoring jobs failed for good; their records went to the reject store.'],
      ['jobs-stalled', PIPELINE_METRICS.jobsStalled, 'Scoring jobs stalled: a scorer lost its lock (event loop blocked or task killed).'],
    ] as const) {
      alarm(suffix, {
        alarmDescription: what,
        namespace: args.namespace,
        metricName: metric,
        dimensions: { Stack: context.stack },
        statistic: 'Sum',
        period: 300,
        evaluationPeriods: 1,
        threshold: 0,
        comparisonOperator: 'GreaterThanThreshold',
        treatMissingData: 'notBreaching',
      });
    }
    // One pair per delivery stream; the live lane's keep the names they always had.
    for (const [archived, suffix] of [
      ['raw', ''],
      ['rawHistory', '-history'],
    ] as const) {
      const deliveryStream = args.deliveryStreamNames[archived];
      alarm(`firehose${suffix}-delivery-failed`, {
        alarmDescription: pulumi.interpolate`Firehose ${deliveryStream} failed to deliver to the raw archive; records are going to the errors/ prefix.`,
        namespace: 'AWS/Firehose',
        metricName: 'DeliveryToS3.Success',
        dimensions: { DeliveryStreamName: deliveryStream },
        statistic: 'Minimum',
        period: 300,
        evaluationPeriods: 2,
        threshold: 1,
        comparisonOperator: 'LessThanThreshold',
        treatMissingData: 'notBreaching',
      });
      alarm(`firehose${suffix}-data-late`, {
        alarmDescription: pulumi.interpolate`The newest record ${deliveryStream} archived is older than two buffer intervals plus 15 minutes: delivery is stuck.`,
        namespace: 'AWS/Firehose',
        metricName: 'DeliveryToS3.DataFreshness',
        dimensions: { DeliveryStreamName: deliveryStream },
        statistic: 'Maximum',
        period: 300,
        evaluationPeriods: 2,
        threshold: args.deliveryBufferSeconds * 2 + 900,
        comparisonOperator: 'GreaterThanThreshold',
        treatMissingData: 'notBreaching',
      });
    }
    alarm('reject-volume', {
      alarmDescription: `More than ${config.rejectsPer5Min} reject writes in 5 minutes: the broker is sending data that breaks the contract.`,
      metricQueries: [
        ...(['PutItem', 'BatchWriteItem'] as const).map((operation) => ({
          id: operation === 'PutItem' ? 'put' : 'batch',
          metric: {
            namespace: 'AWS/DynamoDB',
            metricName: 'SuccessfulRequestLatency',
            dimensions: { TableName: args.tables.rejects, Operation: operation },
            stat: 'SampleCount',
            period: 300,
          },
        })),
        { id: 'writes', expression: 'FILL(put, 0) + FILL(batch, 0)', label: 'Reject write requests', returnData: true },
      ],
      evaluationPeriods: 1,
      threshold: config.rejectsPer5Min,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
    });

    // Any node may be the primary (failover moves it), so the alarm reads the fullest node.
    const redisNodeIds = Array.from({ length: args.redisNodes }, (_, i) => pulumi.interpolate`${args.redisReplicationGroupId}-${String(i + 1).padStart(3, '0')}`);
    alarm('redis-memory', {
      alarmDescription: `Redis memory above ${REDIS_MEMORY_ALARM_PERCENT}% of maxmemory: with noeviction a full Redis refuses BullMQ's writes and scoring stops. Drain the backlog (scale scorers) or move to a larger node type (redisNodeType).`,
      metricQueries: [
        ...redisNodeIds.map((id, i) => ({
          id: `node${i + 1}`,
          metric: { namespace: 'AWS/ElastiCache', metricName: 'DatabaseMemoryUsagePercentage', dimensions: { CacheClusterId: id }, stat: 'Maximum', period: 60 },
        })),
        { id: 'fullest', expression: `MAX([${redisNodeIds.map((_, i) => `node${i + 1}`).join(', ')}])`, label: 'Fullest node (%)', returnData: true },
      ],
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      threshold: REDIS_MEMORY_ALARM_PERCENT,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'breaching',
    });
    for (const [role, service] of Object.entries(args.services)) {
      alarm(`${role}-tasks-below-desired`, {
        alarmDescription: pulumi.interpolate`${service} has run fewer tasks than desired for 15 minutes: tasks fail to start or crash (stopped reason in the ECS console, logs in /${PROJECT}/${context.stack}/${role}).`,
        metricQueries: [
          { id: 'running', metric: { namespace: 'ECS/ContainerInsights', metricName: 'RunningTaskCount', dimensions: { ClusterName: args.clusterName, ServiceName: service }, stat: 'Minimum', period: 300 } },
          { id: 'desired', metric: { namespace: 'ECS/ContainerInsights', metricName: 'DesiredTaskCount', dimensions: { ClusterName: args.clusterName, ServiceName: service }, stat: 'Maximum', period: 300 } },
          { id: 'missing', expression: 'desired - running', label: 'Tasks missing', returnData: true },
        ],
        // Deployments and scale-outs leave a gap for a few minutes: three periods in a row is a real one.
        evaluationPeriods: 3,
        threshold: 0,
        comparisonOperator: 'GreaterThanThreshold',
        treatMissingData: 'breaching',
      });
    }
    for (const [logical, table] of Object.entries(args.allTables)) {
      alarm(`${logical}-table-throttled`, {
        alarmDescription: pulumi.interpolate`DynamoDB throttled reads or writes on ${table}: a hot partition key (over 1,000 WRU/s or 3,000 RRU/s) or the account's table quota; the SDK retries, so latency grows first.`,
        metricQueries: [
          { id: 'reads', metric: { namespace: 'AWS/DynamoDB', metricName: 'ReadThrottleEvents', dimensions: { TableName: table }, stat: 'Sum', period: 300 } },
          { id: 'writes', metric: { namespace: 'AWS/DynamoDB', metricName: 'WriteThrottleEvents', dimensions: { TableName: table }, stat: 'Sum', period: 300 } },
          { id: 'throttled', expression: 'FILL(reads, 0) + FILL(writes, 0)', label: 'Throttled events', returnData: true },
        ],
        evaluationPeriods: 1,
        threshold: 0,
        comparisonOperator: 'GreaterThanThreshold',
        treatMissingData: 'notBreaching',
      });
    }
    alarm('batch-schedule-failed', {
      alarmDescription: pulumi.interpolate`The batch schedule could not start a run after its retries; the dead-letter event in ${args.batchDeadLetterQueue} says why (read it, fix the cause, then delete it).`,
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: args.batchDeadLetterQueue },
      statistic: 'Maximum',
      period: 300,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
    });

    const dashboard = new aws.cloudwatch.Dashboard(
      `${name}-dashboard`,
      {
        dashboardName: prefix,
        dashboardBody: pulumi
          .all([
            pulumi.all(args.deliveryStreamNames) as pulumi.Output<Record<ArchivedStream, string>>,
            pulumi.all(args.streams) as pulumi.Output<Record<StreamName, string>>,
            args.clusterName, args.serviceNames, args.redisReplicationGroupId, args.tables.view, args.tables.rejects])
          .apply(([deliveryStreams, streams, cluster, services, redisGroup, view, rejects]) =>
            JSON.stringify(
              dashboardBody({
                stack: context.stack,
                region: context.region,
                streams,
                deliveryStreams,
                tables: { view, rejects },
                compute: { cluster, services, redisNodes: Array.from({ length: args.redisNodes }, (_, i) => `${redisGroup}-${String(i + 1).padStart(3, '0')}`) },
                namespace: args.namespace,
                backlogMetric: args.backlogMetric,
              }),
            ),
          ),
      },
      { parent: this },
    );

    this.topicArn = topic.arn;
    this.dashboardName = dashboard.dashboardName;
    this.dashboardUrl = dashboard.dashboardName.apply((dashboardName) => dashboardUrl(context.region, dashboardName));
    this.alarmNames = alarms.map((a) => a.name);
    this.registerOutputs({ topicArn: this.topicArn, dashboardName: this.dashboardName, dashboardUrl: this.dashboardUrl, alarmNames: this.alarmNames });
  }
}
