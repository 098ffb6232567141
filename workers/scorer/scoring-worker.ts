import { UnrecoverableError, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../../shared/logger.js';
import { silentLogger } from '../../shared/logger.js';
import { ScorerOptionError } from './errors.js';
import type { ScoringProcessor } from './scoring-processor.js';
import { SCORING_JOB_VERSION } from '../../shared/scoring-job.js';
import type { ScoringJobData, ScoringJobResult } from '../../shared/scoring-job.js';

/**
 * A job's lock lasts this long and is renewed every half of it. Inference runs off the event loop,
 * so renewals are never starved; a scorer killed mid-job loses its lock this long after the last
 * renewal at most.
 */
export const DEFAULT_LOCK_DURATION_MS = 20_000;
/** How often any scorer looks for jobs whose lock expired and moves them back to wait. */
export const DEFAULT_STALLED_INTERVAL_MS = 10_000;
/**
 * A job that stalled this often fails instead of going back once more: a batch that keeps killing
 * its scorer (a native crash) then fails, and the stream-reader's retries and bisection isolate
 * the record that does it.
 */
export const DEFAULT_MAX_STALLED_COUNT = 2;

export interface ScoringWorkerOptions {
  /** Duplicated by BullMQ for its blocking reads; the caller closes it. */
  readonly connection: Redis;
  /** SCORING_QUEUE_NAME. */
  readonly queueName: string;
  /** QUEUE_PREFIX. */
  readonly prefix: string;
  readonly processor: ScoringProcessor;
  /** SCORER_CONCURRENCY: jobs this process runs at once. */
  readonly concurrency: number;
  /** @default 20_000 ms */
  readonly lockDurationMs?: number;
  /** @default 10_000 ms */
  readonly stalledIntervalMs?: number;
  /** @default 2 */
  readonly maxStalledCount?: number;
  /** Start taking jobs at once. @default true */
  readonly autorun?: boolean;
  /** @default a silent logger */
  readonly logger?: Logger;
}

/**
 * The scorer's BullMQ worker: runs up to `concurrency` scoring jobs at once through the
 * `ScoringProcessor`, with stalled-job checks on (a scorer killed mid-job has its job picked up
 * again by another after the lock expires). A completed job's records are dropped from Redis at
 * once: its id is all the stream-reader's de-duplication needs.
 *
 * @example
 * const worker = new ScoringWorker({ connection, queueName, prefix, processor, concurrency: 4 });
 * // on SIGTERM: finishes active jobs, takes no new ones
 * await worker.close();
 */
export class ScoringWorker {
  private readonly worker: Worker<ScoringJobData, ScoringJobResult>;
  private readonly log: Logger;
  private closing: Promise<void> | undefined;
  private compactions = new Set<Promise<void>>();
  private failedForGood = 0;
  private stalled = 0;

  public constructor(options: ScoringWorkerOptions) {
    this.log = options.logger ?? silentLogger();
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) throw new ScorerOptionError('concurrency', `must be a positive integer, got ${options.concurrency}`);
    const lockDuration = options.lockDurationMs ?? DEFAULT_LOCK_DURATION_MS;
    const stalledInterval = options.stalledIntervalMs ?? DEFAULT_STALLED_INTERVAL_MS;
    if (stalledInterval > lockDuration) throw new ScorerOptionError('stalledIntervalMs', `must not exceed lockDurationMs (${lockDuration}); a longer interval only delays recovery`);
    const processor = options.processor;
    this.worker = new Worker<ScoringJobData, ScoringJobResult>(options.queueName, (job) => this.process(processor, job), {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
      lockDuration,
      stalledInterval,
      maxStalledCount: options.maxStalledCount ?? DEFAULT_MAX_STALLED_COUNT,
      autorun: options.autorun ?? true,
    });
    this.worker.on('error', (error) => this.log.warn({ err: error }, 'scoring worker error (reconnecting)'));
    this.worker.on('failed', (job, error) => {
      const final = job !== undefined && job.attemptsMade >= (job.opts.attempts ?? 1);
      if (final) this.failedForGood += 1;
      this.log[final ? 'error' : 'warn']({ err: error, jobId: job?.id, attemptsMade: job?.attemptsMade }, final ? 'scoring job failed for good' : 'scoring job failed; will retry');
    });
    this.worker.on('stalled', (jobId) => {
      this.stalled += 1;
      this.log.warn({ jobId }, 'scoring job stalled; moved back to wait');
    });
    this.worker.on('completed', (job) => this.compact(job));
  }

  /** Jobs failed for good since the last call (an alarm metric, counted per period). */
  public takeFailedForGood(): number {
    const count = this.failedForGood;
    this.failedForGood = 0;
    return count;
  }

  /** Stalled jobs this worker found since the last call (an alarm metric, counted per period). */
  public takeStalled(): number {
    const count = this.stalled;
    this.stalled = 0;
    return count;
  }

  /** Starts taking jobs (only needed with `autorun: false`). */
  public run(): void {
    if (!this.worker.isRunning()) void this.worker.run().catch((error: unknown) => this.log.error({ err: error }, 'scoring worker stopped'));
  }

  public isRunning(): boolean {
    return this.worker.isRunning();
  }

  /** Resolves when the worker is connected and ready. */
  public waitUntilReady(): Promise<unknown> {
    return this.worker.waitUntilReady();
  }

  /** Takes no new jobs, lets active ones finish; idempotent. */
  public close(): Promise<void> {
    this.closing ??= (async () => {
      await this.worker.close();
      await Promise.allSettled([...this.compactions]);
    })();
    return this.closing;
  }

  private async process(processor: ScoringProcessor, job: Job<ScoringJobData, ScoringJobResult>): Promise<ScoringJobResult> {
    // A job this code cannot read will not become readable by retrying it: fail it at once (the
    // stream-reader then isolates its records as poison instead of waiting on it).
    if (job.data.v !== SCORING_JOB_VERSION || job.data.compacted === true) {
      throw new UnrecoverableError(`scoring job ${job.id} has version ${String(job.data.v)}${job.data.compacted === true ? ' and no records (compacted)' : ''}; this scorer reads version ${SCORING_JOB_VERSION}`);
    }
    const started = performance.now();
    const result = await processor.process(job.data, job.id ?? 'unknown');
    this.log.debug({ jobId: job.id, ...result, ms: Math.round(performance.now() - started) }, 'scoring job done');
    return result;
  }

  private compact(job: Job<ScoringJobData, ScoringJobResult>): void {
    const { records: _records, ...rest } = job.data;
    const compaction = job
      .updateData({ ...rest, records: [], compacted: true })
      .catch((error: unknown) => this.log.debug({ err: error, jobId: job.id }, 'completed job not compacted (already removed?)'));
    this.compactions.add(compaction);
    void compaction.finally(() => this.compactions.delete(compaction));
  }
}
