import type { Queue, QueueEvents } from 'bullmq';
import type { Logger } from '../../shared/logger.js';
import { silentLogger } from '../../shared/logger.js';
import { BatchAbortedError } from './errors.js';

/** How a scoring job ended, as far as the reader cares. */
export type JobOutcome =
  | { readonly state: 'completed' }
  | { readonly state: 'failed'; readonly failedReason: string }
  /** No such job: never added, or removed (retention, an operator); the caller adds it again. */
  | { readonly state: 'missing' };

export interface JobTrackerOptions {
  /** For state look-ups (its connection is shared with adds). */
  readonly queue: Queue;
  /** A dedicated connection (QueueEvents blocks on XREAD). */
  readonly queueEvents: QueueEvents;
  /**
   * How often the state of every awaited job is read directly, in case an event was missed (the
   * event stream is read from when QueueEvents first connected, and is trimmed under load).
   * @default 2_000 ms
   */
  readonly pollIntervalMs?: number;
  /** @default a silent logger */
  readonly logger?: Logger;
}

interface Pending {
  /** Order of registration: a state read started before a wait was registered must not settle it (it may predate a retry). */
  readonly ticket: number;
  readonly settle: (outcome: JobOutcome) => void;
}

/**
 * Tells when scoring jobs finish. Events from QueueEvents settle waits at once; each wait also
 * reads the job's state right after it is registered (a job completed by a previous owner of the
 * shard is done before anyone waits) and again on every poll, so a missed event delays a wait
 * by one poll interval at most and never loses it.
 */
export class JobCompletionTracker {
  private readonly queue: Queue;
  private readonly queueEvents: QueueEvents;
  private readonly log: Logger;
  private readonly pending = new Map<string, Set<Pending>>();
  private readonly timer: NodeJS.Timeout;
  private closing: Promise<void> | undefined;
  private tickets = 0;

  public constructor(options: JobTrackerOptions) {
    this.queue = options.queue;
    this.queueEvents = options.queueEvents;
    this.log = options.logger ?? silentLogger();
    this.queueEvents.on('completed', this.onCompleted);
    this.queueEvents.on('failed', this.onFailed);
    this.timer = setInterval(() => void this.poll(), options.pollIntervalMs ?? 2_000);
    this.timer.unref();
  }

  /** Jobs being waited for. */
  public get waiting(): number {
    return this.pending.size;
  }

  /** Resolves with the job's outcome once it is finished (or missing); rejects with `BatchAbortedError` when `signal` aborts first. */
  public wait(jobId: string, shardId: string, signal?: AbortSignal): Promise<JobOutcome> {
    if (this.closing !== undefined) return Promise.reject(new BatchAbortedError(shardId, { cause: new Error('job tracker closed') }));
    if (signal?.aborted === true) return Promise.reject(new BatchAbortedError(shardId, { cause: signal.reason }));
    return new Promise<JobOutcome>((resolve, reject) => {
      const onAbort = (): void => {
        this.remove(jobId, entry);
        reject(new BatchAbortedError(shardId, { cause: signal?.reason }));
      };
      const entry: Pending = {
        ticket: ++this.tickets,
        settle: (outcome) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(outcome);
        },
      };
      let set = this.pending.get(jobId);
      if (set === undefined) this.pending.set(jobId, (set = new Set()));
      set.add(entry);
      signal?.addEventListener('abort', onAbort, { once: true });
      // Registered first, checked second: an event between the two settles the wait anyway.
      void this.check(jobId);
    });
  }

  /** Stops listening; waits still open are abandoned (their batches are redelivered). Idempotent. */
  public close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.timer);
      this.queueEvents.off('completed', this.onCompleted);
      this.queueEvents.off('failed', this.onFailed);
    })();
    return this.closing;
  }

  private readonly onCompleted = ({ jobId }: { jobId: string }): void => {
    this.settle(jobId, { state: 'completed' });
  };

  // A failure is confirmed by reading the state: a late event must not fail a wait registered after the job was retried.
  private readonly onFailed = ({ jobId }: { jobId: string }): void => {
    if (this.pending.has(jobId)) void this.check(jobId);
  };

  /** Settles the job's waits registered before `ticket` (all of them for an event). */
  private settle(jobId: string, outcome: JobOutcome, ticket = Infinity): void {
    const set = this.pending.get(jobId);
    if (set === undefined) return;
    for (const entry of set) {
      if (entry.ticket >= ticket) continue;
      set.delete(entry);
      entry.settle(outcome);
    }
    if (set.size === 0) this.pending.delete(jobId);
  }

  private remove(jobId: string, entry: Pending): void {
    const set = this.pending.get(jobId);
    set?.delete(entry);
    if (set?.size === 0) this.pending.delete(jobId);
  }

  private async check(jobId: string): Promise<void> {
    const ticket = this.tickets + 1;
    try {
      const state = await this.queue.getJobState(jobId);
      if (state === 'completed') this.settle(jobId, { state: 'completed' }, ticket);
      else if (state === 'unknown') this.settle(jobId, { state: 'missing' }, ticket);
      else if (state === 'failed') {
        const job = await this.queue.getJob(jobId);
        this.settle(jobId, job === undefined ? { state: 'missing' } : { state: 'failed', failedReason: job.failedReason ?? 'unknown' }, ticket);
      }
    } catch (error) {
      // Redis unreachable for a moment: the next poll (or an event) settles the wait.
      this.log.warn({ err: error, jobId }, 'could not read scoring job state');
    }
  }

  private async poll(): Promise<void> {
    await Promise.all([...this.pending.keys()].map((jobId) => this.check(jobId)));
  }
}
