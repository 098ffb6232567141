import type { Bounds, ScalingConfig, ServiceRole, StreamsConfig } from '../config.js';
import { METRIC_STACK_DIMENSION } from '../../shared/metrics.js';

/**
 * Scaling arithmetic, kept apart from the resources so each rule has its own test: how many
 * stream consumers are useful for a shard count, and the metric math the scorer scales on.
 */

/**
 * A shard is read by one lease holder at a time, so consumers beyond the shard count sit idle:
 * the ceiling is the smaller of the configured maximum and the shard count (unknown for
 * on-demand streams, where the configured maximum stands). The floor never exceeds the ceiling.
 */
export function consumerBounds(configured: Bounds, shards: number | undefined): Bounds {
  const max = shards === undefined ? configured.max : Math.max(1, Math.min(configured.max, shards));
  return { min: Math.min(configured.min, max), max };
}

/**
 * The stream-reader count follows the raw stream's shard count: one reader per shard, held
 * within the configured bounds. For an on-demand stream (shard count unknown up front) the
 * configured bounds stand and iterator age moves the count between them.
 */
export function readerCapacity(configured: Bounds, shards: number | undefined): Bounds {
  if (shards === undefined) return configured;
  const count = Math.min(configured.max, Math.max(configured.min, shards));
  return { min: count, max: count };
}

/**
 * Shards a consumer role can hold leases on at once: each task consumes both lanes' streams of its
 * stage with a lease application per stream, so the busier lane's shard count is where more tasks
 * stop helping (a task holds a live shard and, beside it, a history shard). Undefined for on-demand.
 */
export function laneShards(live: number | undefined, history: number | undefined): number | undefined {
  return live === undefined || history === undefined ? undefined : Math.max(live, history);
}

/** Application Auto Scaling's id of an ECS service. */
export function serviceResourceId(clusterName: string, serviceName: string): string {
  return `service/${clusterName}/${serviceName}`;
}

export interface BacklogMetricArgs {
  readonly namespace: string;
  readonly metricName: string;
  readonly stack: string;
  readonly clusterName: string;
  readonly serviceName: string;
  /** How the backlog's datapoints in a period are read. @default 'Average' */
  readonly stat?: 'Average' | 'Maximum';
  /** The series' labels. @default the scorer's (waiting scoring jobs per scorer task) */
  readonly labels?: { readonly backlog: string; readonly tasks: string; readonly perTask: string };
}

const SCORING_LABELS = { backlog: 'Waiting scoring jobs', tasks: 'Running scorer tasks', perTask: 'Waiting scoring jobs per scorer task' } as const;

/**
 * Backlog per task as CloudWatch metric math: waiting scoring jobs (published by the scorer with
 * dimension Stack) divided by the scorer's running tasks (Container Insights). Target tracking
 * holds the quotient at the configured jobs per task. The service minimum is at least 1, so the
 * divisor is never 0 while the service runs.
 */
export function backlogPerTaskMetrics(args: BacklogMetricArgs) {
  const labels = args.labels ?? SCORING_LABELS;
  return [
    {
      id: 'backlog',
      label: labels.backlog,
      returnData: false,
      metricStat: {
        metric: { namespace: args.namespace, metricName: args.metricName, dimensions: [{ name: METRIC_STACK_DIMENSION, value: args.stack }] },
        stat: args.stat ?? 'Average',
      },
    },
    {
      id: 'tasks',
      label: labels.tasks,
      returnData: false,
      metricStat: {
        metric: {
          namespace: 'ECS/ContainerInsights',
          metricName: 'RunningTaskCount',
          dimensions: [
            { name: 'ClusterName', value: args.clusterName },
            { name: 'ServiceName', value: args.serviceName },
          ],
        },
        stat: 'Average',
      },
    },
    { id: 'perTask', label: labels.perTask, expression: 'backlog / tasks', returnData: true },
  ];
}

/**
 * Task-count bounds of every service: the crawler starts at one (the webhook component scales the
 * crawler fleet on the sync backlog, up to its own maximum), the consumers follow their streams'
 * shards (the busier lane's, see `laneShards`), the scorer takes its configured bounds.
 * Services start at the minimum; autoscaling moves them from there.
 */
export function serviceBounds(scaling: ScalingConfig, streams: StreamsConfig): Readonly<Record<ServiceRole, Bounds>> {
  return {
    crawler: { min: 1, max: 1 },
    'stream-reader': readerCapacity(scaling.streamReader, laneShards(streams.rawShards, streams.rawHistoryShards)),
    scorer: { min: scaling.scorer.min, max: scaling.scorer.max },
    projector: consumerBounds(scaling.projector, laneShards(streams.resultsShards, streams.resultsHistoryShards)),
  };
}
