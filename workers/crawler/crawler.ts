import { causedByAccessDenied } from '../../shared/aws/access-denied.js';
import type { Logger } from '../../shared/logger.js';
import { silentLogger } from '../../shared/logger.js';
import { backoffDelay, idleDelay, sleep } from '../../shared/backoff.js';
import type { BackoffPolicy, IdlePolicy } from '../../shared/backoff.js';
import type { BrokerPage, BrokerPageSource } from './broker-client.js';
import type { CursorStore } from './cursor-store.js';
import { BrokerRateLimitedError, CrawlerError, CrawlerOptionError } from './errors.js';
import type { PageOutcome, PageProcessor, PreparedPage } from './page-processor.js';
import { Watermark } from './watermark.js';

export interface CrawlerOptions {
  readonly broker: BrokerPageSource;
  readonly processor: Pick<PageProcessor, 'prepare' | 'commit'>;
  readonly cursors: Pick<CursorStore, 'begin' | 'save'>;
  /** @default a silent logger */
  readonly logger?: Logger;
  /** Lines asked for per page (CRAWLER_PAGE_SIZE). @default 500 */
  readonly pageSize?: number;
  /** Wait before asking again when the broker has nothing newer (CRAWLER_IDLE_MS). @default 500 ms */
  readonly idleMs?: number;
  /**
   * After `idleBackoffAfter` empty asks in a row the wait doubles per ask up to this, and drops
   * back to `idleMs` with the first line: a quiet broker costs a poll a second instead of five,
   * while flowing traffic (never that many empty asks) is picked up as fast as before. @default max(idleMs, 1_000) ms
   */
  readonly maxIdleMs?: number;
  /** Empty asks in a row before the idle wait starts to grow. @default 10 */
  readonly idleBackoffAfter?: number;
  /** First retry delay ceiling after a 5xx, network or storage error (full jitter, doubling). @default 200 ms */
  readonly backoffBaseMs?: number;
  /** @default 10_000 ms */
  readonly backoffMaxMs?: number;
  /** A `Retry-After` longer than this is cut to it, so a broker's typo cannot park the crawler for a day. @default 300_000 ms */
  readonly maxRetryAfterMs?: number;
  /** The health check fails when no broker call succeeded for this long. @default 300_000 ms */
  readonly staleAfterMs?: number;
  /** Source in [0, 1) for back-off jitter; injectable so tests are deterministic. @default Math.random */
  readonly random?: () => number;
}

/** The crawler's figures since it started, for /health, logs and the local runner. */
export interface CrawlerStats {
  /** The durable cursor: every line before it is on the stream or in the reject store. */
  readonly cursor: string | null;
  readonly lastBrokerSuccessAt: string | undefined;
  readonly lastCursorSavedAt: string | undefined;
  /** True while the broker has nothing newer. */
  readonly caughtUp: boolean;
  readonly pages: number;
  readonly lines: number;
  readonly published: number;
  readonly republished: number;
  readonly duplicates: number;
  readonly rejected: number;
  readonly rejectsByCode: Readonly<Record<string, number>>;
  readonly rateLimited: number;
  readonly brokerErrors: number;
  readonly storageErrors: number;
  readonly lastError: string | undefined;
  readonly state: 'starting' | 'running' | 'closing' | 'closed' | 'failed';
}

type MutableStats = { -readonly [K in keyof CrawlerStats]: CrawlerStats[K] };

function positive(option: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new CrawlerOptionError(option, `must be a whole number >= ${min}, got ${value}`);
  return value;
}

/**
 * Follows the broker's cursor: fetches a page, has the `PageProcessor` prepare and commit it, and
 * saves the next cursor only once the page is durable, so a restart resumes without loss. The
 * next page is fetched and prepared while the previous one is committed. Honours `Retry-After`;
 * retries 5xx, network and storage errors with exponential back-off and full jitter, for as long
 * as it runs; stops (and `finished` rejects) only on what retrying cannot fix: a refused API key
 * or cursor, or a newer crawler on the same crawl.
 *
 * @example
 * const crawler = new Crawler({ broker, processor, cursors, logger });
 * crawler.start();
 * // ... on SIGTERM:
 * await crawler.close(); // the page in flight is stored and its cursor saved
 */
export class Crawler {
  private readonly broker: BrokerPageSource;
  private readonly processor: Pick<PageProcessor, 'prepare' | 'commit'>;
  private readonly cursors: Pick<CursorStore, 'begin' | 'save'>;
  private readonly log: Logger;
  private readonly pageSize: number;
  private readonly idleMs: number;
  /** The wait between asks of a broker with nothing newer: `idleMs`, longer after a quiet stretch. */
  private readonly idle: IdlePolicy;
  private readonly backoff: BackoffPolicy;
  private readonly maxRetryAfterMs: number;
  private readonly staleAfterMs: number;
  private readonly random: () => number;
  private readonly stopping = new AbortController();
  private readonly startedAt = Date.now();
  private lastBrokerSuccess: number | undefined;
  private loop: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  /** A step failed in a way retrying cannot fix; the loop stops and rethrows it. */
  private fatal: { readonly error: unknown } | undefined;
  private readonly stats_: MutableStats = {
    cursor: null,
    lastBrokerSuccessAt: undefined,
    lastCursorSavedAt: undefined,
    caughtUp: false,
    pages: 0,
    lines: 0,
    published: 0,
    republished: 0,
    duplicates: 0,
    rejected: 0,
    rejectsByCode: {},
    rateLimited: 0,
    brokerErrors: 0,
    storageErrors: 0,
    lastError: undefined,
    state: 'starting',
  };

  public constructor(options: CrawlerOptions) {
    this.broker = options.broker;
    this.processor = options.processor;
    this.cursors = options.cursors;
    this.log = options.logger ?? silentLogger();
    this.pageSize = positive('pageSize', options.pageSize ?? 500, 1);
    this.idleMs = positive('idleMs', options.idleMs ?? 500, 0);
    this.idle = {
      baseMs: this.idleMs,
      maxMs: positive('maxIdleMs', options.maxIdleMs ?? Math.max(this.idleMs, 1_000), this.idleMs),
      after: positive('idleBackoffAfter', options.idleBackoffAfter ?? 10, 0),
    };
    this.backoff = { baseMs: positive('backoffBaseMs', options.backoffBaseMs ?? 200, 1), maxMs: positive('backoffMaxMs', options.backoffMaxMs ?? 10_000, 1) };
    if (this.backoff.maxMs < this.backoff.baseMs) throw new CrawlerOptionError('backoffMaxMs', `must be at least backoffBaseMs (${this.backoff.baseMs})`);
    this.maxRetryAfterMs = positive('maxRetryAfterMs', options.maxRetryAfterMs ?? 300_000, 0);
    this.staleAfterMs = positive('staleAfterMs', options.staleAfterMs ?? 300_000, 1);
    this.random = options.random ?? Math.random;
  }

  /**
   * Starts crawling; the returned promise resolves after `close()`, or rejects
   * when the crawler stopped on an error retrying cannot fix. Calling it twice returns the same.
   */
  public start(): Promise<void> {
    this.loop ??= this.run().then(
      () => {
        this.stats_.state = 'closed';
      },
      (error: unknown) => {
        this.stats_.state = 'failed';
        this.stats_.lastError = (error as Error).message;
        this.log.error({ err: error }, 'crawler stopped');
        throw error;
      },
    );
    return this.loop;
  }

  /** Stops asking the broker, finishes the page in flight and saves its cursor. Idempotent. */
  public close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.stats_.state !== 'failed') this.stats_.state = 'closing';
      this.stopping.abort();
      await this.loop?.catch(() => undefined);
      if (this.stats_.state !== 'failed') this.stats_.state = 'closed';
      this.log.info({ stats: this.stats() }, 'crawler closed');
    })();
    return this.closing;
  }

  public stats(): CrawlerStats {
    return { ...this.stats_, rejectsByCode: { ...this.stats_.rejectsByCode } };
  }

  /** For the /health endpoint: the figures while healthy; throws when stopped or stale. */
  public health(): CrawlerStats {
    const stats = this.stats();
    if (stats.state === 'failed') throw new CrawlerError(`crawler stopped: ${stats.lastError ?? 'unknown error'}`);
    const since = Date.now() - (this.lastBrokerSuccess ?? this.startedAt);
    if (since > this.staleAfterMs) throw new CrawlerError(`no successful broker call for ${Math.round(since / 1000)} s (last error: ${stats.lastError ?? 'none'})`);
    return stats;
  }

  private get closed(): boolean {
    return this.stopping.signal.aborted;
  }

  private async run(): Promise<void> {
    const begun = await this.retrying('begin run', () => this.cursors.begin());
    if (begun === undefined) return;
    const { crawl, epoch, finals, updatedAt } = begun.value;
    let cursor = begun.value.cursor;
    const watermark = new Watermark(crawl, epoch, finals);
    this.stats_.cursor = cursor;
    this.stats_.state = 'running';
    this.log.info({ cursor, savedAt: updatedAt, run: epoch }, cursor === null ? 'crawling from the beginning' : 'resuming from the saved cursor');

    // Three pages can be under way at once: the next one being fetched, this one being prepared
    // (validated, checked against the ledger, claimed), and the previous one being committed (put
    // on the stream) and its cursor saved. Commits and saves stay strictly in page order.
    let prefetched: Promise<BrokerPage | undefined> | undefined;
    let committing: Promise<boolean> = Promise.resolve(true);
    let emptyAsks = 0;
    try {
      while (!this.closed) {
        const page = await (prefetched ?? this.fetch(cursor));
        prefetched = undefined;
        if (page === undefined) break;
        const next = page.nextCursor;
        const advanced = next !== undefined && next !== cursor;
        if (advanced) {
          prefetched = this.fetch(next);
          // Awaited on the next turn or in `finally`; this only keeps a failure from counting as unhandled meanwhile.
          prefetched.catch(() => undefined);
        }

        let prepared: PreparedPage | undefined;
        if (page.lines.length > 0) {
          const result = await this.retrying('prepare page', () => this.processor.prepare(page, watermark), { finishWhenClosing: true });
          if (result === undefined) break;
          prepared = result.value;
        }
        if (!(await committing)) break;
        committing = this.commitAndSave(watermark, prepared, advanced ? next : undefined);
        if (page.lines.length > 0) emptyAsks = 0;
        if (advanced) {
          cursor = next;
          this.stats_.caughtUp = false;
          continue;
        }
        // Nothing newer: let the last commit land, then ask again with the same cursor after a while.
        if (!(await committing)) break;
        if (!this.stats_.caughtUp) this.log.info({ cursor, stats: this.stats() }, 'caught up; the broker has nothing newer');
        this.stats_.caughtUp = true;
        if (page.lines.length === 0) emptyAsks += 1;
        await sleep(idleDelay(emptyAsks, this.idle), this.stopping.signal);
      }
    } finally {
      await prefetched?.catch(() => undefined);
      await committing;
    }
    if (this.fatal !== undefined) throw this.fatal.error;
  }

  /**
   * Makes a prepared page durable, then saves the cursor after it; false when it gave up because
   * the crawler is closing (or stopped on a fatal error, kept in `fatal`), so no later cursor is saved.
   */
  private async commitAndSave(watermark: Watermark, prepared: PreparedPage | undefined, next: string | undefined): Promise<boolean> {
    try {
      if (prepared !== undefined) {
        const outcome = await this.retrying('store page', () => this.processor.commit(prepared, watermark), { finishWhenClosing: true });
        if (outcome === undefined) return false;
        this.count(outcome.value);
      }
      if (next === undefined) return true;
      const saved = await this.retrying('save cursor', () => this.cursors.save(next, watermark.committedUpTo), { finishWhenClosing: true });
      if (saved === undefined) return false;
      this.stats_.cursor = next;
      this.stats_.lastCursorSavedAt = new Date().toISOString();
      return true;
    } catch (error) {
      this.fatal ??= { error };
      this.stopping.abort();
      return false;
    }
  }

  private count(outcome: PageOutcome): void {
    const s = this.stats_;
    s.pages += 1;
    s.lines += outcome.lines;
    s.published += outcome.published;
    s.republished += outcome.republished;
    s.duplicates += outcome.duplicates;
    s.rejected += outcome.rejected;
    const byCode = { ...s.rejectsByCode };
    for (const [code, n] of Object.entries(outcome.rejectsByCode)) byCode[code] = (byCode[code] ?? 0) + n;
    s.rejectsByCode = byCode;
  }

  /** A page from the broker, retried until it comes or the crawler closes (undefined then). */
  private async fetch(cursor: string | null): Promise<BrokerPage | undefined> {
    let failures = 0;
    while (!this.closed) {
      try {
        const page = await this.broker.fetchPage({ cursor, limit: this.pageSize, signal: this.stopping.signal });
        this.lastBrokerSuccess = Date.now();
        this.stats_.lastBrokerSuccessAt = new Date(this.lastBrokerSuccess).toISOString();
        return page;
      } catch (error) {
        if (this.closed) return undefined;
        // A call the crawler's role may not make fails every time: stop, do not retry for ever.
        if ((error instanceof CrawlerError && !error.retryable) || causedByAccessDenied(error)) throw error;
        this.stats_.lastError = (error as Error).message;
        if (error instanceof BrokerRateLimitedError) {
          this.stats_.rateLimited += 1;
          // A rate limit is not a failure: wait what the broker asked (or back off if it did not say).
          const wait = error.retryAfterMs === undefined ? backoffDelay(failures + 1, this.backoff, this.random) : Math.min(error.retryAfterMs, this.maxRetryAfterMs);
          this.log.debug({ cursor, waitMs: wait }, 'rate-limited by the broker');
          await sleep(wait, this.stopping.signal);
          continue;
        }
        failures += 1;
        this.stats_.brokerErrors += 1;
        const wait = backoffDelay(failures, this.backoff, this.random);
        this.log.warn({ cursor, attempt: failures, waitMs: wait, err: error }, 'broker call failed; retrying');
        await sleep(wait, this.stopping.signal);
      }
    }
    return undefined;
  }

  /**
   * Runs a storage step until it succeeds; undefined means it was given up because the crawler is
   * closing. While closing, a step already under way is allowed
   * to finish (`finishWhenClosing`), but a failed one is not retried: its page is read again from
   * the saved cursor next time, which loses nothing.
   */
  private async retrying<T>(what: string, step: () => Promise<T>, options: { finishWhenClosing?: boolean } = {}): Promise<{ readonly value: T } | undefined> {
    for (let attempt = 1; ; attempt += 1) {
      if (this.closed && (options.finishWhenClosing !== true || attempt > 1)) return undefined;
      try {
        return { value: await step() };
      } catch (error) {
        // A call the crawler's role may not make fails every time: stop, do not retry for ever.
        if ((error instanceof CrawlerError && !error.retryable) || causedByAccessDenied(error)) throw error;
        this.stats_.storageErrors += 1;
        this.stats_.lastError = (error as Error).message;
        const wait = backoffDelay(attempt, this.backoff, this.random);
        this.log.warn({ step: what, attempt, waitMs: wait, err: error }, 'storage step failed; retrying');
        await sleep(wait, this.stopping.signal);
      }
    }
  }
}
