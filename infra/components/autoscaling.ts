import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { PROJECT } from '../../shared/catalog.js';
import { METRIC_ROLE_DIMENSION, METRIC_STACK_DIMENSION, PIPELINE_METRICS } from '../../shared/metrics.js';
import type { Bounds, ScalingConfig, ServiceRole } from '../config.js';
import type { StackContext } from '../context.js';
import { backlogPerTaskMetrics, serviceResourceId } from '../lib/scaling.js';

export interface AutoscalingArgs {
  readonly context: StackContext;
  readonly config: ScalingConfig;
  /** Task-count bounds per service (see `serviceBounds`). */
  readonly bounds: Readonly<Record<ServiceRole, Bounds>>;
  readonly streamNames: { readonly raw: pulumi.Input<string>; readonly results: pulumi.Input<string> };
  readonly clusterName: pulumi.Input<string>;
  readonly serviceNames: Readonly<Record<ServiceRole, pulumi.Input<string>>>;
  /** CloudWatch namespace and metric name of the scorer's backlog (from the environment contract). */
  readonly backlogMetric: { readonly namespace: string; readonly metricName: string };
}

/** Seconds between scale-outs: a new task needs about a minute to pull, start and take leases. */
const SCALE_OUT_COOLDOWN = 60;
/** Seconds between scale-ins: slower, so a brief lull does not drain consumers mid-burst. */
const SCALE_IN_COOLDOWN = 300;

/**
 * Application Auto Scaling for the consumers and the scorer. The stream-reader count follows the
 * raw stream's shard count within its bounds (between them, its own MillisBehindLatest); the
 * scorer tracks BullMQ backlog per task and CPU; the projector tracks its own MillisBehindLatest,
 * never above its shard count. The
 * crawler is not scaled: it holds the single broker cursor.
 *
 * @example
 * new Autoscaling('dev-autoscaling', { context, config: scaling, streams, streamNames, clusterName, serviceNames, backlogMetric });
 */
export class Autoscaling extends pulumi.ComponentResource {
  /** The min and max task count applied to each scaled role. */
  public readonly bounds: Readonly<Record<'stream-reader' | 'scorer' | 'projector', Bounds>>;

  public constructor(name: string, args: AutoscalingArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('realtime-insights:autoscaling:Autoscaling', name, {}, opts);
    const { config, context } = args;
    this.bounds = { 'stream-reader': args.bounds['stream-reader'], scorer: args.bounds.scorer, projector: args.bounds.projector };

    const target = (role: 'stream-reader' | 'scorer' | 'projector') =>
      new aws.appautoscaling.Target(
        `${name}-${role}`,
        {
          serviceNamespace: 'ecs',
          scalableDimension: 'ecs:service:DesiredCount',
          resourceId: pulumi.all([args.clusterName, args.serviceNames[role]]).apply(([cluster, service]) => serviceResourceId(cluster, service)),
          minCapacity: this.bounds[role].min,
          maxCapacity: this.bounds[role].max,
        },
        { parent: this },
      );
    // Scales on the reader's own lag (agreement 3), not the stream's iterator age: on the raw
    // stream that mixes in Firehose, which reads on when every stream-reader is down.
    const lagPolicy = (role: 'stream-reader' | 'projector', t: aws.appautoscaling.Target, targetMs: number) =>
      new aws.appautoscaling.Policy(
        `${name}-${role}-lag`,
        {
          name: `${PROJECT}-${context.stack}-${role}-lag`,
          policyType: 'TargetTrackingScaling',
          serviceNamespace: t.serviceNamespace,
          scalableDimension: t.scalableDimension,
          resourceId: t.resourceId,
          targetTrackingScalingPolicyConfiguration: {
            targetValue: targetMs,
            customizedMetricSpecification: {
              namespace: args.backlogMetric.namespace,
              metricName: PIPELINE_METRICS.millisBehindLatest,
              dimensions: [
                { name: METRIC_STACK_DIMENSION, value: context.stack },
                { name: METRIC_ROLE_DIMENSION, value: role },
              ],
              statistic: 'Maximum',
              unit: 'Milliseconds',
            },
            scaleOutCooldown: SCALE_OUT_COOLDOWN,
            scaleInCooldown: SCALE_IN_COOLDOWN,
          },
        },
        { parent: this },
      );

    const reader = target('stream-reader');
    // With a known shard count the reader count is pinned to it; only an on-demand stream leaves
    // room between the bounds for iterator age to move the count.
    if (this.bounds['stream-reader'].min < this.bounds['stream-reader'].max) {
      lagPolicy('stream-reader', reader, config.streamReader.iteratorAgeMs);
    }
    const projector = target('projector');
    // Same guard: with min == max (dev, or a results stream whose shards cap the projectors) a
    // policy could never move the count and would only add alarms that scale nothing.
    if (this.bounds.projector.min < this.bounds.projector.max) {
      lagPolicy('projector', projector, config.projector.iteratorAgeMs);
    }

    const scorer = target('scorer');
    new aws.appautoscaling.Policy(
      `${name}-scorer-backlog`,
      {
        name: `${PROJECT}-${context.stack}-scorer-backlog-per-task`,
        policyType: 'TargetTrackingScaling',
        serviceNamespace: scorer.serviceNamespace,
        scalableDimension: scorer.scalableDimension,
        resourceId: scorer.resourceId,
        targetTrackingScalingPolicyConfiguration: {
          targetValue: config.scorer.backlogPerTask,
          customizedMetricSpecification: {
            metrics: pulumi.all([args.clusterName, args.serviceNames.scorer]).apply(([clusterName, serviceName]) =>
              backlogPerTaskMetrics({ ...args.backlogMetric, stack: context.stack, clusterName, serviceName }),
            ),
          },
          scaleOutCooldown: SCALE_OUT_COOLDOWN,
          scaleInCooldown: SCALE_IN_COOLDOWN,
        },
      },
      { parent: this },
    );
    new aws.appautoscaling.Policy(
      `${name}-scorer-cpu`,
      {
        name: `${PROJECT}-${context.stack}-scorer-cpu`,
        policyType: 'TargetTrackingScaling',
        serviceNamespace: scorer.serviceNamespace,
        scalableDimension: scorer.scalableDimension,
        resourceId: scorer.resourceId,
        targetTrackingScalingPolicyConfiguration: {
          targetValue: config.scorer.cpuPercent,
          predefinedMetricSpecification: { predefinedMetricType: 'ECSServiceAverageCPUUtilization' },
          scaleOutCooldown: SCALE_OUT_COOLDOWN,
          scaleInCooldown: SCALE_IN_COOLDOWN,
        },
      },
      { parent: this },
    );

    this.registerOutputs({ bounds: this.bounds });
  }
}
