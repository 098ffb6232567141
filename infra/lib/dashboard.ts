/**
 * The pipeline dashboard and alarm definitions as plain data: what is watched, on which metric,
 * with which threshold. The Observability component turns them into CloudWatch resources.
 */

import { STREAM_CONSUMERS } from '../../shared/catalog.js';
import { PIPELINE_METRICS } from '../../shared/metrics.js';

// Named in shared/ so the workers that publish them and the alarms here cannot disagree.
export { PIPELINE_METRICS };

export interface DashboardArgs {
  readonly stack: string;
  readonly region: string;
  /** Both lanes' streams: live `raw` and `results`, the backfills' `rawHistory` and `resultsHistory`. */
  readonly streams: { readonly raw: string; readonly results: string; readonly rawHistory: string; readonly resultsHistory: string };
  /** The delivery stream of each lane's raw stream. */
  readonly deliveryStreams: { readonly raw: string; readonly rawHistory: string };
  readonly tables: { readonly view: string; readonly rejects: string };
  /** Undefined on a data-plane-only stack. */
  readonly compute?: {
    readonly cluster: string;
    readonly services: readonly string[];
    /** Every node of the replication group: the primary moves on failover, so the widget reads the fullest and busiest. */
    readonly redisNodes: readonly string[];
  };
  readonly namespace: string;
  readonly backlogMetric: string;
}

type MetricRow = (string | { stat?: string; label?: string; id?: string; expression?: string; visible?: boolean })[];

interface Widget {
  readonly type: 'metric';
  readonly width: number;
  readonly height: number;
  readonly properties: {
    readonly title: string;
    readonly region: string;
    readonly metrics: MetricRow[];
    readonly view: 'timeSeries';
    readonly stat: string;
    readonly period: number;
  };
}

function widget(title: string, region: string, stat: string, metrics: MetricRow[]): Widget {
  return { type: 'metric', width: 12, height: 6, properties: { title, region, metrics, view: 'timeSeries', stat, period: 60 } };
}

/** The dashboard body: ingest, the readers' lag, throttling, Firehose, scoring, services, tables, Redis. */
export function dashboardBody(a: DashboardArgs): { widgets: Widget[] } {
  const widgets: Widget[] = [
    widget('Records in (per minute)', a.region, 'Sum', [
      ['AWS/Kinesis', 'IncomingRecords', 'StreamName', a.streams.raw, { label: 'raw' }],
      ['AWS/Kinesis', 'IncomingRecords', 'StreamName', a.streams.results, { label: 'results' }],
      ['AWS/Kinesis', 'IncomingRecords', 'StreamName', a.streams.rawHistory, { label: 'raw, history lane' }],
      ['AWS/Kinesis', 'IncomingRecords', 'StreamName', a.streams.resultsHistory, { label: 'results, history lane' }],
    ]),
    widget('Lag (ms, max)', a.region, 'Maximum', [
      // The readers' own lag (agreement 3), then Kinesis's: the live lane's readers subscribe, so
      // their lag is per registered consumer; the raw stream's GetRecords iterator age is Firehose's.
      [a.namespace, PIPELINE_METRICS.millisBehindLatest, 'Stack', a.stack, 'Role', 'stream-reader', { label: 'stream-reader behind raw' }],
      [a.namespace, PIPELINE_METRICS.millisBehindLatest, 'Stack', a.stack, 'Role', 'projector', { label: 'projector behind results' }],
      ...(Object.values(STREAM_CONSUMERS).map((consumer) => [
        'AWS/Kinesis',
        'SubscribeToShardEvent.MillisBehindLatest',
        'StreamName',
        a.streams[consumer.stream],
        'ConsumerName',
        consumer.consumerName,
        { label: `${consumer.consumerName} behind ${consumer.stream} (pushed)` },
      ]) satisfies MetricRow[]),
      ['AWS/Kinesis', 'GetRecords.IteratorAgeMilliseconds', 'StreamName', a.streams.raw, { label: 'raw iterator age (Firehose)' }],
      // Behind by design while a sign-up wave is scored (live goes first); it must come back down.
      ['AWS/Kinesis', 'GetRecords.IteratorAgeMilliseconds', 'StreamName', a.streams.rawHistory, { label: 'history lane raw iterator age' }],
      ['AWS/Kinesis', 'GetRecords.IteratorAgeMilliseconds', 'StreamName', a.streams.resultsHistory, { label: 'history lane results iterator age' }],
    ]),
    widget('Throttled (per minute)', a.region, 'Sum', [
      ['AWS/Kinesis', 'ReadProvisionedThroughputExceeded', 'StreamName', a.streams.raw, { label: 'raw reads' }],
      ['AWS/Kinesis', 'ReadProvisionedThroughputExceeded', 'StreamName', a.streams.results, { label: 'results reads' }],
      ['AWS/Kinesis', 'WriteProvisionedThroughputExceeded', 'StreamName', a.streams.raw, { label: 'raw writes' }],
      ['AWS/Kinesis', 'WriteProvisionedThroughputExceeded', 'StreamName', a.streams.results, { label: 'results writes' }],
      ['AWS/Kinesis', 'ReadProvisionedThroughputExceeded', 'StreamName', a.streams.rawHistory, { label: 'history lane raw reads' }],
      ['AWS/Kinesis', 'WriteProvisionedThroughputExceeded', 'StreamName', a.streams.rawHistory, { label: 'history lane raw writes' }],
      ['AWS/Kinesis', 'WriteProvisionedThroughputExceeded', 'StreamName', a.streams.resultsHistory, { label: 'history lane results writes' }],
    ]),
    widget('Raw archive (Firehose)', a.region, 'Sum', [
      ['AWS/Firehose', 'DeliveryToS3.Records', 'DeliveryStreamName', a.deliveryStreams.raw, { label: 'records delivered, live lane' }],
      ['AWS/Firehose', 'DeliveryToS3.Records', 'DeliveryStreamName', a.deliveryStreams.rawHistory, { label: 'records delivered, history lane' }],
      ['AWS/Firehose', 'DeliveryToS3.DataFreshness', 'DeliveryStreamName', a.deliveryStreams.raw, { stat: 'Maximum', label: 'data freshness (s), live lane' }],
      ['AWS/Firehose', 'DeliveryToS3.DataFreshness', 'DeliveryStreamName', a.deliveryStreams.rawHistory, { stat: 'Maximum', label: 'data freshness (s), history lane' }],
    ]),
    widget('Scoring queue', a.region, 'Average', [
      [a.namespace, a.backlogMetric, 'Stack', a.stack, { label: 'waiting jobs' }],
      [a.namespace, PIPELINE_METRICS.jobsFailed, 'Stack', a.stack, { stat: 'Sum', label: 'failed jobs' }],
      [a.namespace, PIPELINE_METRICS.jobsStalled, 'Stack', a.stack, { stat: 'Sum', label: 'stalled jobs' }],
    ]),
    widget('Tables: writes and rejects', a.region, 'Sum', [
      ['AWS/DynamoDB', 'ConsumedWriteCapacityUnits', 'TableName', a.tables.view, { label: 'view WCU' }],
      ['AWS/DynamoDB', 'ConsumedWriteCapacityUnits', 'TableName', a.tables.rejects, { label: 'rejects WCU' }],
    ]),
  ];
  if (a.compute !== undefined) {
    const c = a.compute;
    widgets.push(
      widget(
        'Tasks per service',
        a.region,
        'Average',
        c.services.map((service) => ['ECS/ContainerInsights', 'RunningTaskCount', 'ClusterName', c.cluster, 'ServiceName', service]),
      ),
      widget(
        'CPU per service (%)',
        a.region,
        'Average',
        c.services.map((service) => ['AWS/ECS', 'CPUUtilization', 'ClusterName', c.cluster, 'ServiceName', service]),
      ),
      widget('Redis (fullest node, whichever is primary)', a.region, 'Maximum', [
        ...c.redisNodes.map((node, i): MetricRow => ['AWS/ElastiCache', 'DatabaseMemoryUsagePercentage', 'CacheClusterId', node, { id: `mem${i}`, visible: false }]),
        ...c.redisNodes.map((node, i): MetricRow => ['AWS/ElastiCache', 'CurrConnections', 'CacheClusterId', node, { id: `conn${i}`, visible: false }]),
        [{ expression: `MAX([${c.redisNodes.map((_, i) => `mem${i}`).join(', ')}])`, label: 'memory used (%)' }],
        [{ expression: `MAX([${c.redisNodes.map((_, i) => `conn${i}`).join(', ')}])`, label: 'connections' }],
      ]),
    );
  }
  return { widgets };
}

/** The console address of a dashboard. */
export function dashboardUrl(region: string, name: string): string {
  return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards/dashboard/${encodeURIComponent(name)}`;
}
