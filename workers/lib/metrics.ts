import type { Logger } from '../../shared/logger.js';
import { silentLogger } from '../../shared/logger.js';
import { optionErrorOf } from '../../shared/errors.js';
import { WorkerError } from '../errors.js';

/**
 * Metrics as CloudWatch Embedded Metric Format (EMF) log lines: one JSON object per line on
 * stdout, which the task's log driver ships to CloudWatch Logs, where the metrics are extracted.
 * No API call, so no IAM grant, no throttling and no client to close; a line written is a metric
 * kept, also at shutdown.
 *
 * Written here rather than with `aws-embedded-metrics`: on ECS that library probes the task
 * metadata and sends to a CloudWatch agent sidecar over TCP (which these tasks do not run), writes
 * with `console.log` only, and adds dimensions of its own (ServiceName, ServiceType, LogGroup) that
 * would change the metric identity infra's alarms and scaling select on. The format itself is a
 * few lines (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
 */

/** The CloudWatch units the workers use. */
export const MetricUnit = {
  Count: 'Count',
  Milliseconds: 'Milliseconds',
  None: 'None',
} as const;
export type MetricUnitName = (typeof MetricUnit)[keyof typeof MetricUnit];

/** EMF allows at most 30 dimensions in a dimension set. */
const MAX_DIMENSIONS = 30;
/** EMF allows at most 100 metrics in one line. */
const MAX_METRICS_PER_LINE = 100;
/** CloudWatch's standard resolution is one minute: reading a gauge more often only adds lines. */
const DEFAULT_INTERVAL_MS = 60_000;

/** Metrics were set up with options they cannot work with; names the option. */
export class MetricsOptionError extends optionErrorOf(WorkerError, 'metrics') {
  public override readonly name = 'MetricsOptionError';
}

export interface MetricsOptions {
  /**
   * Write EMF lines (METRICS_ENABLED, true in AWS). When false (locally, in tests) each value is
   * only logged at debug level, so local logs do not fill with metric lines.
   */
  readonly enabled: boolean;
  /** CloudWatch namespace (METRICS_NAMESPACE). */
  readonly namespace: string;
  /**
   * Dimensions every metric of this emitter carries, e.g. `{ Stack: env.INSIGHTS_STACK }`: infra's
   * alarms, dashboard and scaling policies select on exactly these.
   */
  readonly dimensions: Readonly<Record<string, string>>;
  /** Where each EMF line goes (without its newline). @default a write to stdout, the log driver's input */
  readonly write?: (line: string) => void;
  /** Epoch ms of a line. @default Date.now */
  readonly now?: () => number;
  /** @default a silent logger */
  readonly logger?: Logger;
}

/** One value of one metric. */
export interface MetricValue {
  readonly name: string;
  readonly value: number;
  /** @default 'Count' */
  readonly unit?: MetricUnitName;
}

const writeStdout = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/**
 * Writes metric values as EMF lines with a fixed namespace and dimensions.
 *
 * @example
 * const metrics = new MetricsEmitter({ enabled: env.METRICS_ENABLED, namespace: env.METRICS_NAMESPACE,
 *   dimensions: { Stack: env.INSIGHTS_STACK }, logger });
 * metrics.put([{ name: 'ScoringJobsFailed', value: 2 }]);
 * // {"_aws":{"Timestamp":...,"CloudWatchMetrics":[{"Namespace":"RealtimeInsights","Dimensions":[["Stack"]],
 * //   "Metrics":[{"Name":"ScoringJobsFailed","Unit":"Count"}]}]},"Stack":"dev","ScoringJobsFailed":2}
 */
export class MetricsEmitter {
  public readonly enabled: boolean;
  public readonly namespace: string;
  public readonly dimensions: Readonly<Record<string, string>>;
  private readonly write: (line: string) => void;
  private readonly now: () => number;
  private readonly logger: Logger;

  public constructor(options: MetricsOptions) {
    if (options.namespace === '') throw new MetricsOptionError('namespace', 'must not be empty');
    const keys = Object.keys(options.dimensions);
    if (keys.length > MAX_DIMENSIONS) throw new MetricsOptionError('dimensions', `must have at most ${MAX_DIMENSIONS} entries (EMF), got ${keys.length}`);
    for (const key of keys) {
      if (key === '' || key === '_aws') throw new MetricsOptionError('dimensions', `has an invalid name '${key}'`);
      if (options.dimensions[key] === '') throw new MetricsOptionError(`dimensions.${key}`, 'must not be empty (CloudWatch drops a metric with an empty dimension value)');
    }
    this.enabled = options.enabled;
    this.namespace = options.namespace;
    this.dimensions = { ...options.dimensions };
    this.write = options.write ?? writeStdout;
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? silentLogger();
  }

  /** The same emitter with more dimensions (a role's, a shard group's); `extra` wins on a clash. */
  public withDimensions(extra: Readonly<Record<string, string>>): MetricsEmitter {
    return new MetricsEmitter({ enabled: this.enabled, namespace: this.namespace, dimensions: { ...this.dimensions, ...extra }, write: this.write, now: this.now, logger: this.logger });
  }

  /**
   * Writes the values as one EMF line (several lines past EMF's 100 metrics a line). A value that is
   * not a finite number is left out and logged: CloudWatch would reject the whole line.
   */
  public put(values: readonly MetricValue[]): void {
    const usable = values.filter((v) => {
      if (v.name === '' || v.name === '_aws' || v.name in this.dimensions) {
        this.logger.warn({ metric: v.name }, 'metric name is empty or clashes with a dimension; not written');
        return false;
      }
      if (!Number.isFinite(v.value)) {
        this.logger.warn({ metric: v.name, value: String(v.value) }, 'metric value is not a finite number; not written');
        return false;
      }
      return true;
    });
    if (usable.length === 0) return;
    if (!this.enabled) {
      this.logger.debug({ metrics: Object.fromEntries(usable.map((v) => [v.name, v.value])), dimensions: this.dimensions }, 'metrics (EMF disabled)');
      return;
    }
    for (let i = 0; i < usable.length; i += MAX_METRICS_PER_LINE) this.write(this.line(usable.slice(i, i + MAX_METRICS_PER_LINE)));
  }

  private line(values: readonly MetricValue[]): string {
    const metrics = values.map((v) => ({ Name: v.name, Unit: v.unit ?? MetricUnit.Count }));
    const body: Record<string, unknown> = {
      _aws: { Timestamp: this.now(), CloudWatchMetrics: [{ Namespace: this.namespace, Dimensions: [Object.keys(this.dimensions)], Metrics: metrics }] },
      ...this.dimensions,
    };
    for (const v of values) body[v.name] = v.value;
    return JSON.stringify(body);
  }
}

export interface PeriodicMetricOptions {
  readonly metrics: MetricsEmitter;
  /** The metric's name (BACKLOG_METRIC_NAME, a `PIPELINE_METRICS` name, MillisBehindLatest). */
  readonly name: string;
  /** @default 'Count' */
  readonly unit?: MetricUnitName;
  /**
   * Reads the value: a gauge's current level (the backlog, the lag) or a counter's count since the
   * last reading (take-and-reset), which is why a reading is also taken on close.
   */
  readonly measure: () => number | Promise<number>;
  /** @default 60_000 ms */
  readonly intervalMs?: number;
  /** @default a silent logger */
  readonly logger?: Logger;
}

/**
 * A value read on a fixed interval and written as a metric, and read once more by `close()`, so a
 * count taken since the last interval is written before the process exits. A failed reading is
 * logged and skipped: a metric must never take a worker down.
 *
 * @example
 * const backlog = new PeriodicMetric({ metrics, name: env.BACKLOG_METRIC_NAME, measure: () => scoringBacklog(queue) });
 * backlog.start();
 * // on SIGTERM
 * await backlog.close(); // writes a last reading
 */
export class PeriodicMetric {
  private readonly options: Required<Omit<PeriodicMetricOptions, 'logger'>> & { readonly logger: Logger };
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | undefined;
  private last: number | undefined;

  public constructor(options: PeriodicMetricOptions) {
    this.options = { unit: MetricUnit.Count, intervalMs: DEFAULT_INTERVAL_MS, ...options, logger: options.logger ?? silentLogger() };
    if (!Number.isInteger(this.options.intervalMs) || this.options.intervalMs <= 0) {
      throw new MetricsOptionError('intervalMs', `must be a positive whole number of milliseconds, got ${this.options.intervalMs}`);
    }
    if (this.options.name === '') throw new MetricsOptionError('name', 'must not be empty');
  }

  /** The last value read, undefined before the first reading; for health details. */
  public get lastValue(): number | undefined {
    return this.last;
  }

  /** Reads and writes once now, then every interval, until `close()`. */
  public start(): void {
    if (this.timer !== undefined || this.closing !== undefined) return;
    this.tick();
    this.timer = setInterval(() => this.tick(), this.options.intervalMs);
    // A metrics timer alone must not keep a draining process alive.
    this.timer.unref();
  }

  /** Reads the value and writes it; resolves with the value read. */
  public async emitOnce(): Promise<number> {
    const value = await this.options.measure();
    this.last = value;
    this.options.metrics.put([{ name: this.options.name, value, unit: this.options.unit }]);
    return value;
  }

  /**
   * Stops the timer, waits for a reading in progress, then takes and writes a last one (whether or
   * not `start()` ran), so nothing counted before shutdown is lost. Idempotent.
   */
  public close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.timer !== undefined) clearInterval(this.timer);
      this.timer = undefined;
      await this.inFlight;
      await this.safeEmit();
    })();
    return this.closing;
  }

  private tick(): void {
    this.inFlight = this.safeEmit();
  }

  private async safeEmit(): Promise<void> {
    try {
      await this.emitOnce();
    } catch (error) {
      this.options.logger.warn({ err: error, metric: this.options.name }, 'could not read metric; will try again next interval');
    }
  }
}
