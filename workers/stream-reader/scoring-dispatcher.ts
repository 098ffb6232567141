import type { JobsOptions, Queue } from 'bullmq';
import type { KinesisRecord, PoisonRecord, ShardContext } from '../../shared/kinesis/index.js';
import type { Logger } from '../../shared/logger.js';
import { silentLogger } from '../../shared/logger.js';
import { RejectCode } from '../../shared/schemas/reject-codes.js';
import { Lane } from '../../shared/schemas/transaction-change.js';
import type { LaneName } from '../../shared/schemas/transaction-change.js';
import { RejectStage, buildRejectRecord } from '../../shared/rejects/reject-record.js';
import type { RejectStore } from '../../shared/rejects/reject-store.js';
import { SCORING_JOB_NAME, scoringJobOptions } from '../../shared/scoring-job.js';
import type { ScoringJobData, ScoringJobResult, ScoringJobRetryOptions } from '../../shared/scoring-job.js';
import { ReaderOptionError, ScoringJobFailedError, StreamReaderError } from './errors.js';
import type { PlannedJob } from './job-plan.js';
import { planScoringJobs } from './job-plan.js';
import type { JobCompletionTracker } from './job-tracker.js';
import { decodeRawRecord } from './record-decoder.js';
import type { DecodedRecord } from './record-decoder.js';
import { SlotLimiter } from './slot-limiter.js';

/** A job found missing after it was added (removed by an operator or by retention) is added again this often before the batch fails. */
const MAX_READDS = 3;

export type ScoringQueue = Queue<ScoringJobData, ScoringJobResult>;

export interface ScoringDispatcherOptions {
  /** Where jobs are added (SCORING_QUEUE_NAME under QUEUE_PREFIX). */
  readonly queue: ScoringQueue;
  readonly tracker: JobCompletionTracker;
  readonly rejectStore: RejectStore;
  /** The raw stream (reject sources and job data name it). */
  readonly streamName: string;
  /** The lane of that stream: its jobs' priority and where the scorer writes their results. @default live */
  readonly lane?: LaneName;
  /** READER_JOB_MAX_RECORDS. */
  readonly maxRecordsPerJob: number;
  /** READER_MAX_IN_FLIGHT_JOBS: jobs one shard may have added and not finished. */
  readonly maxInFlightJobsPerShard: number;
  /** Attempts and back-off every job is added with. @default see `scoringJobOptions` */
  readonly jobRetry?: ScoringJobRetryOptions;
  /** @default a silent logger */
  readonly logger?: Logger;
}

/** Counters since start, for logs and tests. */
export interface DispatcherCounters {
  readonly batches: number;
  readonly records: number;
  readonly malformed: number;
  /** Add calls; an add whose id exists (a redelivered batch) is counted too, though BullMQ keeps the first job unchanged. */
  readonly jobsAdded: number;
  readonly jobsRetried: number;
  readonly jobsFailed: number;
  readonly poisonRecords: number;
}

/**
 * The stream-reader's `processRecords` and `onPoisonRecord`: turns each batch of raw-stream records
 * into scoring jobs with deterministic ids and resolves only when all of them completed, so the
 * shard consumer's checkpoint follows the low watermark of completed jobs. Malformed records go to
 * the reject store and are not forwarded. At most `maxInFlightJobsPerShard` jobs per shard are
 * outstanding (the consumer's read-ahead window bounds the batches on top of that).
 *
 * @example
 * const dispatcher = new ScoringDispatcher({ queue, tracker, rejectStore, streamName, maxRecordsPerJob: 250, maxInFlightJobsPerShard: 16 });
 * new ShardConsumer({ ..., processRecords: dispatcher.processRecords, onPoisonRecord: dispatcher.onPoisonRecord });
 */
export class ScoringDispatcher {
  private readonly options: Required<Omit<ScoringDispatcherOptions, 'jobRetry' | 'lane'>> & { jobRetry: ScoringJobRetryOptions; lane?: LaneName };
  private readonly limiters = new Map<string, SlotLimiter>();
  private readonly counts = { batches: 0, records: 0, malformed: 0, jobsAdded: 0, jobsRetried: 0, jobsFailed: 0, poisonRecords: 0 };

  public constructor(options: ScoringDispatcherOptions) {
    this.options = { jobRetry: {}, ...options, logger: options.logger ?? silentLogger() };
    for (const key of ['maxRecordsPerJob', 'maxInFlightJobsPerShard'] as const) {
      const value = this.options[key];
      if (!Number.isInteger(value) || value < 1) throw new ReaderOptionError(key, `must be a positive integer, got ${value}`);
    }
    if (this.options.streamName === '') throw new ReaderOptionError('streamName', 'must not be empty');
  }
  /** READER_JOB_MAX_RECORDS: records per scoring job (the stream-reader bounds its read-ahead with it). */
  public get maxRecordsPerJob(): number {
    return this.options.maxRecordsPerJob;
  }

  /** READER_MAX_IN_FLIGHT_JOBS: jobs per shard in flight (the stream-reader's batches in flight follow it). */
  public get maxInFlightJobsPerShard(): number {
    return this.options.maxInFlightJobsPerShard;
  }


  public counters(): DispatcherCounters {
    return { ...this.counts };
  }

  /** Jobs added and not finished, per shard. */
  public jobsInFlight(): Record<string, number> {
    return Object.fromEntries([...this.limiters].map(([shardId, limiter]) => [shardId, limiter.inUse]));
  }

  /** The consumer's `processRecords`: resolves when every job of the batch completed. */
  public readonly processRecords = async (batch: readonly KinesisRecord[], context: ShardContext): Promise<void> => {
    this.counts.batches += 1;
    this.counts.records += batch.length;
    const decoded = batch.map(decodeRawRecord);
    await this.rejectMalformed(decoded, context.shardId);
    const jobs = planScoringJobs(batch, decoded, { streamName: this.options.streamName, shardId: context.shardId, maxRecordsPerJob: this.options.maxRecordsPerJob, lane: this.options.lane ?? Lane.Live });
    const limiter = this.limiterFor(context.shardId);
    const runs: Promise<void>[] = [];
    let startError: unknown;
    try {
      for (const job of jobs) {
        // Slots are taken in batch order (FIFO), so earlier records, which hold the watermark, go first.
        const release = await limiter.acquire(context.signal);
        // A slot is held until its job finished, even when this batch already failed, so the bound holds.
        const run = this.runJob(job, context).finally(release);
        // Handled here so a failure while an earlier job still waits is not an unhandled rejection.
        run.catch(() => undefined);
        runs.push(run);
      }
    } catch (error) {
      startError = error;
    }
    // Whatever happened above, the batch settles only once every job it started is settled.
    const results = await Promise.allSettled(runs);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (startError !== undefined) throw startError;
    if (failed !== undefined) throw failed.reason;
  };

  /**
   * The consumer's `onPoisonRecord`: a record whose one-record job kept failing after the
   * consumer's retries. It is set aside as unscorable so the shard moves on.
   */
  public readonly onPoisonRecord = async (poison: PoisonRecord): Promise<void> => {
    this.counts.poisonRecords += 1;
    const decoded = decodeRawRecord(poison.record);
    const reason = poison.error instanceof Error ? poison.error.message : String(poison.error);
    const reject = buildRejectRecord({
      code: decoded.ok ? RejectCode.Unscorable : RejectCode.MalformedRecord,
      message: decoded.ok ? `scoring kept failing after ${poison.attempts} attempt(s): ${reason}` : decoded.message,
      stage: RejectStage.StreamReader,
      source: { stream: poison.streamName, shardId: poison.shardId, sequenceNumber: poison.sequenceNumber },
      raw: decoded.ok ? JSON.stringify(decoded.record) : decoded.raw,
      ...(decoded.ok ? { transactionId: decoded.record.transaction.transactionId } : decoded.transactionId === undefined ? {} : { transactionId: decoded.transactionId }),
    });
    await this.options.rejectStore.put(reject);
    this.options.logger.error({ shardId: poison.shardId, sequenceNumber: poison.sequenceNumber, rejectId: reject.rejectId, reason }, 'poison record set aside as unscorable');
  };

  private jobOptions(job: PlannedJob): JobsOptions {
    return { ...scoringJobOptions(this.options.jobRetry, job.lane), jobId: job.id };
  }

  private limiterFor(shardId: string): SlotLimiter {
    let limiter = this.limiters.get(shardId);
    if (limiter === undefined) this.limiters.set(shardId, (limiter = new SlotLimiter(this.options.maxInFlightJobsPerShard, shardId)));
    return limiter;
  }

  private async rejectMalformed(decoded: readonly DecodedRecord[], shardId: string): Promise<void> {
    const malformed = decoded.filter((d) => !d.ok);
    if (malformed.length === 0) return;
    this.counts.malformed += malformed.length;
    // Durable before the batch resolves: the checkpoint must not pass a record that is nowhere.
    await Promise.all(
      malformed.map((entry) =>
        this.options.rejectStore.put(
          buildRejectRecord({
            code: RejectCode.MalformedRecord,
            message: entry.message,
            stage: RejectStage.StreamReader,
            source: { stream: this.options.streamName, shardId, sequenceNumber: entry.sequenceNumber },
            raw: entry.raw,
            ...(entry.transactionId === undefined ? {} : { transactionId: entry.transactionId }),
          }),
        ),
      ),
    );
    this.options.logger.warn({ shardId, count: malformed.length }, 'malformed raw-stream records set aside');
  }

  /** Adds the job (a no-op when its id exists) and waits until it completed. */
  private async runJob(job: PlannedJob, context: ShardContext): Promise<void> {
    await this.add(job);
    let retried = false;
    let readds = 0;
    for (;;) {
      const outcome = await this.options.tracker.wait(job.id, context.shardId, context.signal);
      if (outcome.state === 'completed') return;
      if (outcome.state === 'missing') {
        if (++readds > MAX_READDS) throw new StreamReaderError(`scoring job ${job.id} disappeared from the queue ${MAX_READDS} times after being added`);
        await this.add(job);
        continue;
      }
      // A failed job (this owner's or a previous one's) gets one more full run per hand-over of the
      // batch; if that fails too the batch fails, and the consumer's retries and bisection take over.
      if (retried) {
        this.counts.jobsFailed += 1;
        throw new ScoringJobFailedError(job.id, outcome.failedReason);
      }
      retried = true;
      const existing = await this.options.queue.getJob(job.id);
      if (existing === undefined) continue;
      this.counts.jobsRetried += 1;
      this.options.logger.warn({ jobId: job.id, failedReason: outcome.failedReason }, 'scoring job had failed; retrying it');
      await existing.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true }).catch((error: unknown) => {
        // Another reader retried it first (it is no longer in the failed set): waiting is enough.
        this.options.logger.debug({ err: error, jobId: job.id }, 'scoring job retry skipped');
      });
    }
  }

  private async add(job: PlannedJob): Promise<void> {
    // An id that exists (completed, failed, waiting or active) leaves the stored job untouched.
    await this.options.queue.add(SCORING_JOB_NAME, job.data, this.jobOptions(job));
    this.counts.jobsAdded += 1;
  }
}
