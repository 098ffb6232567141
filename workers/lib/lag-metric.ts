import { millisBehindLatest } from '../../shared/kinesis/index.js';
import type { ConsumerMetrics } from '../../shared/kinesis/index.js';
import type { Logger } from '../../shared/logger.js';
import { METRIC_ROLE_DIMENSION, METRIC_STACK_DIMENSION, PIPELINE_METRICS } from '../../shared/metrics.js';
import { MetricUnit, MetricsEmitter, PeriodicMetric } from './metrics.js';

export interface LagMetricOptions {
  /** METRICS_ENABLED, METRICS_NAMESPACE, INSIGHTS_STACK */
  readonly env: { readonly METRICS_ENABLED: boolean; readonly METRICS_NAMESPACE: string; readonly INSIGHTS_STACK: string };
  /** The role writing it (`stream-reader`, `projector`): the `Role` dimension infra's alarm and scaling select on. */
  readonly role: string;
  /** The worker's consumer figures, read at each interval. */
  readonly consumerMetrics: () => Pick<ConsumerMetrics, 'shards'>;
  /** @default 60_000 ms (CloudWatch's standard resolution) */
  readonly intervalMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
  readonly logger?: Logger;
  /** @default stdout (EMF) */
  readonly write?: (line: string) => void;
}

/**
 * The reader-owned lag metric (agreement 3): `MillisBehindLatest` in ms, dimensions Stack and
 * Role, one value per worker per interval (see `millisBehindLatest` for what it measures), so the
 * alarm and the scaling policy on it (Maximum over the role's workers) see a stream-reader that
 * fell behind or stopped, which the stream's own iterator age cannot while Firehose reads on.
 *
 * @example
 * const lag = lagMetric({ env, role: 'stream-reader', consumerMetrics: () => reader.metrics().consumer, logger });
 * lag.start();
 * // on SIGTERM, before the consumer stops reading
 * await lag.close();
 */
export function lagMetric(options: LagMetricOptions): PeriodicMetric {
  const metrics = new MetricsEmitter({
    enabled: options.env.METRICS_ENABLED,
    namespace: options.env.METRICS_NAMESPACE,
    dimensions: { [METRIC_STACK_DIMENSION]: options.env.INSIGHTS_STACK, [METRIC_ROLE_DIMENSION]: options.role },
    ...(options.write === undefined ? {} : { write: options.write }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  const now = options.now ?? Date.now;
  return new PeriodicMetric({
    metrics,
    name: PIPELINE_METRICS.millisBehindLatest,
    unit: MetricUnit.Milliseconds,
    measure: () => millisBehindLatest(options.consumerMetrics(), now()),
    ...(options.intervalMs === undefined ? {} : { intervalMs: options.intervalMs }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
}
