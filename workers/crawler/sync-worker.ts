import { Queue, Worker } from 'bullmq';
import { causedByAccessDenied } from '../../shared/aws/access-denied.js';
import type { ConnectionOptions, Job } from 'bullmq';
import type { Logger } from '../../shared/logger.js';
import { silentLogger } from '../../shared/logger.js';
import { SYNC_JOB_NAME, syncJobOptions } from '../../shared/sync/sync-job.js';
import type { SyncJobData } from '../../shared/sync/sync-job.js';
import type { ConnectionSyncer, SyncOutcome } from './connection-syncer.js';

/** BullMQ states a sync job counts as backlog in (the crawler service scales on their sum). */
export const SYNC_BACKLOG_STATES = ['waiting', 'prioritized', 'delayed', 'active'] as const;

export async function syncBacklog(queue: Pick<Queue, 'getJobCounts'>): Promise<number> {
  const counts = await queue.getJobCounts(...SYNC_BACKLOG_STATES);
  return SYNC_BACKLOG_STATES.reduce((sum, state) => sum + (counts[state] ?? 0), 0);
}

export interface SyncWorkerOptions {
  readonly connection: ConnectionOptions;
  /** SYNC_QUEUE_NAME. */
  readonly queueName: string;
  /** QUEUE_PREFIX. */
  readonly prefix: string;
  readonly syncer: Pick<ConnectionSyncer, 'sync'>;
  /** Connections one crawler syncs at once. @default 4 */
  readonly concurrency?: number;
  /**
   * How long a job's lock lives without renewal: a killed crawler's job is handed to another one
   * this long after it died (BullMQ's stalled-job check). @default 30_000 ms
   */
  readonly lockDurationMs?: number;
  /** @default a silent logger */
  readonly logger?: Logger;
}

export interface SyncWorkerStats {
  readonly jobs: number;
  readonly continued: number;
  readonly pages: number;
  readonly published: number;
  readonly rejected: number;
  readonly historiesSynced: number;
  readonly failed: number;
}

type MutableStats = { -readonly [K in keyof SyncWorkerStats]: SyncWorkerStats[K] };

/**
 * The crawler as a fleet member: takes sync jobs (one per connection at a time, see
 * `shared/sync/sync-job.ts`) from the BullMQ sync queue and syncs each connection from its durable
 * cursor. Any number of crawler processes share the queue: BullMQ hands each job to one of them,
 * and a crawler that dies has its job handed to another after `lockDurationMs`, which resumes from
 * the connection's saved cursor (and fences the dead run off). A job that syncs its page budget
 * without reaching the end queues a continuation in its own lane and ends, so waiting live jobs go
 * first.
 *
 * @example
 * const worker = new SyncWorker({ connection: redis, queueName, prefix, syncer });
 * const finished = worker.start();
 * await worker.close();
 */
export class SyncWorker {
  private readonly queue: Queue<SyncJobData>;
  private worker: Worker<SyncJobData, SyncOutcome> | undefined;
  private readonly log: Logger;
  private readonly stats_: MutableStats = { jobs: 0, continued: 0, pages: 0, published: 0, rejected: 0, historiesSynced: 0, failed: 0 };
  private readonly stopping = new AbortController();
  private closing: Promise<void> | undefined;
  private fatal: ((error: unknown) => void) | undefined;
  private finished: Promise<void> | undefined;

  public constructor(private readonly options: SyncWorkerOptions) {
    this.queue = new Queue<SyncJobData>(options.queueName, { connection: options.connection, prefix: options.prefix });
    this.log = options.logger ?? silentLogger();
  }

  /** Takes jobs until `close()`; rejects when a job failed in a way no other crawler could fix (access denied). */
  public start(): Promise<void> {
    this.finished ??= new Promise<void>((resolve, reject) => {
      this.fatal = reject;
      this.worker = new Worker<SyncJobData, SyncOutcome>(this.options.queueName, (job) => this.process(job), {
        connection: this.options.connection,
        prefix: this.options.prefix,
        concurrency: this.options.concurrency ?? 4,
        lockDuration: this.options.lockDurationMs ?? 30_000,
        stalledInterval: Math.max(1_000, Math.floor((this.options.lockDurationMs ?? 30_000) / 2)),
        // A crawler killed twice on one job is not the job's fault: hand it on rather than fail it.
        maxStalledCount: 10,
      });
      this.worker.on('failed', (job, error) => {
        this.stats_.failed += 1;
        this.log.warn({ connectionId: job?.data.connectionId, attempts: job?.attemptsMade, err: error }, 'sync job failed');
      });
      this.worker.on('error', (error) => this.log.warn({ err: error }, 'sync worker error'));
      this.stopping.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    return this.finished;
  }

  public stats(): SyncWorkerStats {
    return { ...this.stats_ };
  }

  /** Waiting + running sync jobs of the queue (the SyncBacklog metric). */
  public backlog(): Promise<number> {
    return syncBacklog(this.queue);
  }

  /** Lets running jobs stop after their page in flight (they queue their continuation), then closes. Idempotent. */
  public close(): Promise<void> {
    this.closing ??= (async () => {
      this.stopping.abort();
      await this.worker?.close().catch(() => undefined);
      await this.queue.close().catch(() => undefined);
    })();
    return this.closing;
  }

  private async process(job: Job<SyncJobData, SyncOutcome>): Promise<SyncOutcome> {
    this.stats_.jobs += 1;
    let outcome: SyncOutcome;
    try {
      outcome = await this.syncer.sync(job.data, this.stopping.signal);
    } catch (error) {
      // Access denied: every crawler would fail the same way, so this one stops (as the feed crawler does).
      if (causedByAccessDenied(error)) this.fatal?.(error);
      throw error;
    }
    this.stats_.pages += outcome.pages;
    this.stats_.published += outcome.published;
    this.stats_.rejected += outcome.rejected;
    if (outcome.historySynced) this.stats_.historiesSynced += 1;
    if (outcome.more) {
      // The continuation is kept behind this job by the connection's deduplication id (keepLastIfActive).
      const next: SyncJobData = { ...job.data, reason: 'continue' };
      await this.queue.add(SYNC_JOB_NAME, next, syncJobOptions(next));
      this.stats_.continued += 1;
    }
    this.log.debug({ ...outcome }, 'connection synced');
    return outcome;
  }

  private get syncer(): Pick<ConnectionSyncer, 'sync'> {
    return this.options.syncer;
  }
}
