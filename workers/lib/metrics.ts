import { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Logger } from '../../shared/logger.js';
import { silentLogger } from '../../shared/logger.js';
import { WorkerError } from '../errors.js';

/** CloudWatch's standard resolution is one minute; publishing more often only costs money. */
const DEFAULT_INTERVAL_MS = 60_000;

/** Reads the gauge's current value (the scoring backlog, for example). */
export type MeasureGauge = () => Promise<number>;

export interface GaugePublisherOptions {
  /** Publish to CloudWatch; when false every reading is only logged. */
  readonly enabled: boolean;
  /** Injected, never built here (see `createCloudWatchClient` in shared/aws/clients.ts). Required when `enabled`. */
  readonly cloudwatch?: CloudWatchClient;
  /** CloudWatch namespace (METRICS_NAMESPACE). */
  readonly namespace: string;
  /** Metric name (BACKLOG_METRIC_NAME). */
  readonly metricName: string;
  /** Value of the `Stack` dimension (INSIGHTS_STACK): infra's alarms and scaling policies select on it. */
  readonly stack: string;
  readonly measure: MeasureGauge;
  /** @default 60_000 ms */
  readonly intervalMs?: number;
  /** CloudWatch unit. @default 'Count' */
  readonly unit?: 'Count' | 'None';
  /** @default a silent logger */
  readonly logger?: Logger;
}

/** The gauge publisher was built with options it cannot work with. */
export class MetricsOptionError extends WorkerError {
  public override readonly name = 'MetricsOptionError';
  public constructor(
    public readonly option: string,
    problem: string,
  ) {
    super(`metrics option '${option}' ${problem}`);
  }
}

/**
 * Publishes one gauge (a single value with dimension `Stack`) to CloudWatch with PutMetricData on
 * a fixed interval, or only logs it when metrics are disabled (locally, in tests). A failed
 * reading or publish is logged and skipped: a metric must never take a worker down.
 *
 * @example
 * const publisher = new GaugePublisher({ enabled: env.METRICS_ENABLED, cloudwatch, namespace: env.METRICS_NAMESPACE,
 *   metricName: env.BACKLOG_METRIC_NAME, stack: env.INSIGHTS_STACK, measure: () => backlog(queue), logger });
 * publisher.start();
 * // ...
 * await publisher.close();
 */
export class GaugePublisher {
  private readonly options: Required<Omit<GaugePublisherOptions, 'cloudwatch'>> & { cloudwatch: CloudWatchClient | undefined };
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | undefined;
  private last: number | undefined;

  public constructor(options: GaugePublisherOptions) {
    this.options = {
      intervalMs: DEFAULT_INTERVAL_MS,
      unit: 'Count',
      ...options,
      cloudwatch: options.cloudwatch,
      logger: options.logger ?? silentLogger(),
    };
    if (!Number.isInteger(this.options.intervalMs) || this.options.intervalMs <= 0) {
      throw new MetricsOptionError('intervalMs', `must be a positive whole number of milliseconds, got ${this.options.intervalMs}`);
    }
    if (this.options.enabled && this.options.cloudwatch === undefined) {
      throw new MetricsOptionError('cloudwatch', 'is required when enabled is true');
    }
    for (const key of ['namespace', 'metricName', 'stack'] as const) {
      if (this.options[key] === '') throw new MetricsOptionError(key, 'must not be empty');
    }
  }

  /** The last value read, undefined before the first reading; for health details. */
  public get lastValue(): number | undefined {
    return this.last;
  }

  /** Publishes once now, then every interval, until `close()`. */
  public start(): void {
    if (this.timer !== undefined || this.closing !== undefined) return;
    this.tick();
    this.timer = setInterval(() => this.tick(), this.options.intervalMs);
    // A metrics timer alone must not keep a draining process alive.
    this.timer.unref();
  }

  /** Reads the gauge and publishes it (or logs it when disabled); resolves with the value read. */
  public async publishOnce(): Promise<number> {
    const value = await this.options.measure();
    this.last = value;
    const { namespace, metricName, stack, unit, logger } = this.options;
    if (!this.options.enabled || this.options.cloudwatch === undefined) {
      logger.info({ metric: { namespace, name: metricName, stack, value } }, 'metric (publishing disabled)');
      return value;
    }
    await this.options.cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: namespace,
        MetricData: [{ MetricName: metricName, Dimensions: [{ Name: 'Stack', Value: stack }], Value: value, Unit: unit, Timestamp: new Date() }],
      }),
    );
    logger.debug({ metric: { namespace, name: metricName, stack, value } }, 'metric published');
    return value;
  }

  /** Stops the timer and waits for a publish in progress; idempotent. */
  public close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.timer !== undefined) clearInterval(this.timer);
      this.timer = undefined;
      await this.inFlight;
    })();
    return this.closing;
  }

  private tick(): void {
    this.inFlight = this.publishOnce().catch((error: unknown) => {
      this.options.logger.warn({ err: error, metric: this.options.metricName }, 'could not publish metric; will try again next interval');
    });
  }
}
