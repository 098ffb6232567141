import { causedByAccessDenied } from '../../shared/aws/access-denied.js';
import { backoffDelay, sleep } from '../../shared/backoff.js';
import type { BackoffPolicy } from '../../shared/backoff.js';
import type { Logger } from '../../shared/logger.js';
import { silentLogger } from '../../shared/logger.js';
import { buildRejectRecord, RejectStage } from '../../shared/rejects/reject-record.js';
import type { RejectRecord } from '../../shared/rejects/reject-record.js';
import { RAW_RECORD_VERSION, rawRecordSchema } from '../../shared/schemas/raw-record.js';
import type { RawRecord } from '../../shared/schemas/raw-record.js';
import { RejectCode } from '../../shared/schemas/reject-codes.js';
import { streamPartitionKey } from '../../shared/schemas/stream-partition-key.js';
import { ChangeKind, Lane } from '../../shared/schemas/transaction-change.js';
import type { ChangeKindName, LaneName, TransactionChange } from '../../shared/schemas/transaction-change.js';
import { parseBrokerLine, transactionContentHash } from '../../shared/schemas/transaction.js';
import type { BrokerTransaction } from '../../shared/schemas/transaction.js';
import type { SyncAnswerBody } from '../../shared/sync/sync-api.js';
import type { SyncJobData } from '../../shared/sync/sync-job.js';
import { mapLimit } from '../lib/concurrency.js';
import type { ConnectionCursors, ConnectionRun } from './connection-cursors.js';
import { BrokerRateLimitedError, CrawlerError, PagePublishError } from './errors.js';
import type { IngestLedger, LedgerEntry } from './ingest-ledger.js';
import type { RecordPublisher, RejectSink } from './page-processor.js';
import type { SyncSource } from './sync-client.js';

/** A publisher per lane: the producer on that lane's raw stream. */
export type LanePublishers = Readonly<Record<LaneName, RecordPublisher>>;

export interface ConnectionSyncerOptions {
  readonly source: SyncSource;
  readonly ledger: Pick<IngestLedger, 'get' | 'claim'>;
  /** Each lane's publisher (its own raw stream): a job's records go to its lane's, so a backfill never shares a shard with live records. */
  readonly publishers: LanePublishers;
  readonly rejects: RejectSink;
  readonly cursors: Pick<ConnectionCursors, 'begin' | 'save'>;
  /** @default a silent logger */
  readonly logger?: Logger;
  /** Changes asked for per `sync` call (CRAWLER_PAGE_SIZE). @default 500 */
  readonly pageSize?: number;
  /**
   * Pages one job syncs before it yields (the caller queues a continuation behind waiting live
   * jobs), so a 24-month backfill never holds a crawler slot while live syncs wait. @default 4
   */
  readonly maxPagesPerJob?: number;
  /** @default 200 ms first retry ceiling, doubling to `backoffMaxMs` */
  readonly backoffBaseMs?: number;
  /** @default 10_000 ms */
  readonly backoffMaxMs?: number;
  /** A longer `Retry-After` is cut to this. @default 300_000 ms */
  readonly maxRetryAfterMs?: number;
  /** The receiving clock (`ingestedAt`, the future-date rule). @default () => new Date() */
  readonly clock?: () => Date;
  /** @default Math.random */
  readonly random?: () => number;
}

/** What one sync job did. */
export interface SyncOutcome {
  readonly connectionId: string;
  readonly pages: number;
  /** Records put on the raw stream (a date move's extra `removed` included). */
  readonly published: number;
  readonly rejected: number;
  /** `removed` changes for transactions the ledger does not know (never synced, or expired): nothing to remove. */
  readonly unknownRemovals: number;
  /** The broker has more for this connection: the caller queues a continuation. */
  readonly more: boolean;
  /** The whole history was synced by this job (the sign-up's history is on the stream). */
  readonly historySynced: boolean;
}

interface Publication {
  readonly partitionKey: string;
  readonly data: string;
}

/** Whether a signal has aborted (a function, so a check after an await is not narrowed away). */
function aborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/** The local calendar date of a booking as the broker wrote it (its own offset), for date moves. */
function localDate(t: BrokerTransaction): string {
  return t.bookedAt.slice(0, 10);
}

/**
 * Why a change of a transaction the ledger already holds is not a new version of it (the
 * `conflicting-duplicate` rule), or undefined when it is one. Only this connection's own
 * `modified` changes amend a transaction (they get a higher revision than anything it put before):
 *
 * - any change with other content than a transaction first brought by another source (another
 *   connection, the line feed): that source's revisions are not ours to outrank;
 * - an `added` with other content than a version of ours that is on the stream (claimed by a page
 *   whose cursor was saved): the broker changed it without saying so.
 *
 * An `added` with other content than a version of ours that a killed run claimed but never saved
 * is no conflict: the broker collapses a range (added then modified is sent as `added` with the
 * latest content), and this page is that range synced again.
 */
export function unmarkedChange(
  kind: ChangeKindName,
  contentHash: string,
  entry: Pick<LedgerEntry, 'contentHash' | 'stamp'>,
  at: { readonly crawl: string; readonly run: Pick<ConnectionRun, 'epoch' | 'savedRevision'>; readonly firstRevision: number },
): string | undefined {
  if (entry.contentHash === contentHash) return undefined;
  if (entry.stamp.crawl !== at.crawl) return 'was first seen from another source';
  if (kind !== ChangeKind.Added) return undefined;
  // Below the connection's saved clock, or on an earlier page of this run (each saved before the next began).
  const onStream = entry.stamp.seq < at.run.savedRevision || (entry.stamp.epoch === at.run.epoch && entry.stamp.seq < at.firstRevision);
  return onStream ? 'came as added again (not modified) after an earlier version was put' : undefined;
}

/**
 * Syncs one linked connection from its durable cursor: asks the aggregator for the changes after
 * it, turns each into a raw-stream record with its change envelope (kind, revision, connection,
 * lane, the pending transaction a posted one replaces), puts them on the raw stream, and only then
 * saves the next cursor, conditional on the run still owning the connection.
 *
 * Per page, in this order: (1) each added or modified transaction is validated like a feed line
 * (a broken one goes to the reject store with its code; the rest of the page goes on); (2) the
 * ledger is read for the page's ids: a `removed` carries the transaction's last version (every
 * stage must know its user and month), a modification that moves the transaction to another date
 * also removes the old version at the same revision (agreement 1), an `added` id another
 * connection already brought with other content is a `conflicting-duplicate`; (3) the page's
 * latest versions are written to the ledger (write-ahead: what a later `removed` will need);
 * (4) the records are put and the rejects stored; (5) the cursor and the revision clock are saved.
 * A crash anywhere before (5) syncs the page again on the next run: the same changes, at higher
 * revisions, put again (at least once; the view keeps one item per version and collapses them).
 *
 * @example
 * const syncer = new ConnectionSyncer({ source: new SyncClient(...), ledger, publishers: { live, history }, rejects, cursors });
 * const outcome = await syncer.sync({ connectionId, lane: 'live', historyComplete: true });
 */
export class ConnectionSyncer {
  private readonly source: SyncSource;
  private readonly ledger: Pick<IngestLedger, 'get' | 'claim'>;
  private readonly publishers: LanePublishers;
  private readonly rejects: RejectSink;
  private readonly cursors: Pick<ConnectionCursors, 'begin' | 'save'>;
  private readonly log: Logger;
  private readonly pageSize: number;
  private readonly maxPagesPerJob: number;
  private readonly backoff: BackoffPolicy;
  private readonly maxRetryAfterMs: number;
  private readonly clock: () => Date;
  private readonly random: () => number;

  public constructor(options: ConnectionSyncerOptions) {
    this.source = options.source;
    this.ledger = options.ledger;
    this.publishers = options.publishers;
    this.rejects = options.rejects;
    this.cursors = options.cursors;
    this.log = options.logger ?? silentLogger();
    this.pageSize = options.pageSize ?? 500;
    this.maxPagesPerJob = options.maxPagesPerJob ?? 4;
    this.backoff = { baseMs: options.backoffBaseMs ?? 200, maxMs: options.backoffMaxMs ?? 10_000 };
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 300_000;
    this.clock = options.clock ?? (() => new Date());
    this.random = options.random ?? Math.random;
  }

  /** Syncs a connection until the broker has nothing more, the job's page budget is spent, or `signal` aborts. */
  public async sync(job: Pick<SyncJobData, 'connectionId' | 'lane' | 'historyComplete'>, signal?: AbortSignal): Promise<SyncOutcome> {
    const run = await this.retrying(`begin ${job.connectionId}`, () => this.cursors.begin(job.connectionId), signal);
    let cursor = run.cursor;
    let revision = run.revision;
    let pages = 0;
    let published = 0;
    let rejected = 0;
    let unknownRemovals = 0;
    let historySynced = false;
    for (;;) {
      if (aborted(signal)) return { connectionId: job.connectionId, pages, published, rejected, unknownRemovals, more: true, historySynced };
      const answer = await this.fetch(job.connectionId, cursor, signal);
      const page = await this.retrying(`ledger ${job.connectionId}`, () => this.prepare(run, job.lane, cursor, answer, revision), signal);
      await this.retrying(`publish ${job.connectionId}`, () => this.commit(this.publishers[job.lane], page.publications, page.rejects), signal);
      const synced = job.lane === Lane.History && job.historyComplete && !answer.has_more && run.historySyncedAt === undefined ? this.clock().toISOString() : undefined;
      // Fenced (another run owns the connection now) is not retried: `retrying` rethrows it.
      await this.retrying(`save ${job.connectionId}`, () => this.cursors.save(run, answer.next_cursor, page.nextRevision, synced), signal);
      cursor = answer.next_cursor;
      revision = page.nextRevision;
      pages += 1;
      published += page.publications.length;
      rejected += page.rejects.length;
      unknownRemovals += page.unknownRemovals;
      historySynced ||= synced !== undefined;
      if (!answer.has_more) return { connectionId: job.connectionId, pages, published, rejected, unknownRemovals, more: false, historySynced };
      if (pages >= this.maxPagesPerJob) return { connectionId: job.connectionId, pages, published, rejected, unknownRemovals, more: true, historySynced };
    }
  }

  /** Steps (1) to (3): records and rejects of one answer, with the ledger written ahead. */
  private async prepare(run: ConnectionRun, lane: LaneName, cursor: string | null, answer: SyncAnswerBody, firstRevision: number) {
    const now = this.clock();
    const ingestedAt = now.toISOString();
    const where = `sync:${run.connectionId}:${cursor ?? 'start'}`;
    const rejects: RejectRecord[] = [];
    const changes: { kind: ChangeKindName; line: number; transaction: BrokerTransaction; contentHash: string; pendingTransactionId?: string }[] = [];
    const offered = [...answer.added.map((t) => ({ kind: ChangeKind.Added, t })), ...answer.modified.map((t) => ({ kind: ChangeKind.Modified, t }))];
    offered.forEach(({ kind, t }, line) => {
      const text = JSON.stringify(t) ?? '';
      const result = parseBrokerLine(text, now);
      if (!result.ok) {
        rejects.push(buildRejectRecord({ code: result.code, message: result.message, stage: RejectStage.Crawler, source: { cursor: where, line }, raw: text, now }));
        return;
      }
      const pending = (t as { pendingTransactionId?: unknown }).pendingTransactionId;
      changes.push({ kind, line, transaction: result.original, contentHash: transactionContentHash(result.transaction), ...(typeof pending === 'string' ? { pendingTransactionId: pending } : {}) });
    });

    const known = await this.ledger.get([...changes.map((c) => c.transaction.transactionId), ...answer.removed.map((r) => r.transactionId)]);
    const crawl = `sync:${run.connectionId}`;
    const previousOf = (entry: LedgerEntry | undefined): RawRecord | undefined => (entry?.record === undefined ? undefined : rawRecordSchema.parse(JSON.parse(entry.record)));
    let revision = firstRevision;
    const publications: Publication[] = [];
    const claims: Parameters<IngestLedger['claim']>[0][number][] = [];
    const record = (kind: ChangeKindName, transaction: BrokerTransaction, contentHash: string, rev: number, line: number, pendingTransactionId?: string): RawRecord => {
      const change: TransactionChange = { kind, revision: rev, connectionId: run.connectionId, lane, ...(pendingTransactionId === undefined ? {} : { pendingTransactionId }) };
      return { v: RAW_RECORD_VERSION, ingestedAt, source: { cursor: where, line }, contentHash, transaction, change };
    };
    /** Serialised once: the same text goes on the stream and into the ledger claim. */
    const put = (raw: RawRecord): string => {
      const data = JSON.stringify(raw);
      publications.push({ partitionKey: streamPartitionKey(raw.transaction), data });
      return data;
    };

    for (const c of changes) {
      const entry = known.get(c.transaction.transactionId);
      const conflict = entry === undefined ? undefined : unmarkedChange(c.kind, c.contentHash, entry, { crawl, run, firstRevision });
      if (entry !== undefined && conflict !== undefined) {
        rejects.push(
          buildRejectRecord({
            code: RejectCode.ConflictingDuplicate,
            message: `transactionId ${c.transaction.transactionId} ${conflict} with content hash ${entry.contentHash}; this one has ${c.contentHash}, so the first stands`,
            stage: RejectStage.Crawler,
            source: { cursor: where, line: c.line },
            raw: JSON.stringify(c.transaction),
            now,
            transactionId: c.transaction.transactionId,
          }),
        );
        continue;
      }
      const rev = revision;
      revision += 1;
      const previous = previousOf(entry);
      // A move to another date removes the old version at the same revision, so the month and day it leaves forget it.
      if (c.kind === ChangeKind.Modified && previous !== undefined && localDate(previous.transaction) !== localDate(c.transaction)) {
        put(record(ChangeKind.Removed, previous.transaction, previous.contentHash, rev, c.line));
      }
      const data = put(record(c.kind, c.transaction, c.contentHash, rev, c.line, c.pendingTransactionId));
      claims.push({ transactionId: c.transaction.transactionId, contentHash: c.contentHash, record: data, stamp: { crawl, epoch: run.epoch, seq: rev } });
    }
    let unknownRemovals = 0;
    answer.removed.forEach((r, i) => {
      const previous = previousOf(known.get(r.transactionId)) ?? this.claimedOnPage(claims, r.transactionId);
      if (previous === undefined) {
        unknownRemovals += 1;
        this.log.warn({ connectionId: run.connectionId, transactionId: r.transactionId }, 'removal of a transaction the ledger does not know; nothing to remove');
        return;
      }
      put(record(ChangeKind.Removed, previous.transaction, previous.contentHash, revision, offered.length + i));
      revision += 1;
    });
    // Write-ahead: the latest versions are in the ledger before they are on the stream.
    if (claims.length > 0) await this.ledger.claim(claims, now);
    return { publications, rejects, unknownRemovals, nextRevision: revision };
  }

  private claimedOnPage(claims: readonly { transactionId: string; record: string }[], transactionId: string): RawRecord | undefined {
    const claim = claims.find((c) => c.transactionId === transactionId);
    return claim === undefined ? undefined : rawRecordSchema.parse(JSON.parse(claim.record));
  }

  /** Step (4): every record on the stream (in the page's order per partition key) and every reject stored. */
  private async commit(publisher: RecordPublisher, publications: readonly Publication[], rejects: readonly RejectRecord[]): Promise<void> {
    const [puts, stored] = await Promise.all([
      Promise.allSettled(publications.map((p) => publisher.put({ data: p.data, partitionKey: p.partitionKey }))),
      mapLimit(rejects, 16, (r) => this.rejects.put(r)).then(
        () => undefined,
        (error: unknown) => ({ error }),
      ),
    ]);
    const failed = puts.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length > 0 || stored !== undefined) {
      throw new PagePublishError(failed.length + (stored === undefined ? 0 : 1), publications.length + rejects.length, { cause: failed[0]?.reason ?? stored?.error });
    }
  }

  /** One `sync` answer, retried through rate limits, 5xx and network errors; refusals throw. */
  private async fetch(connectionId: string, cursor: string | null, signal: AbortSignal | undefined): Promise<SyncAnswerBody> {
    for (let failures = 0; ; ) {
      try {
        return await this.source.sync({ connectionId, cursor, count: this.pageSize, ...(signal === undefined ? {} : { signal }) });
      } catch (error) {
        if (aborted(signal)) throw error;
        if ((error instanceof CrawlerError && !error.retryable) || causedByAccessDenied(error)) throw error;
        if (error instanceof BrokerRateLimitedError) {
          await sleep(error.retryAfterMs === undefined ? backoffDelay(failures + 1, this.backoff, this.random) : Math.min(error.retryAfterMs, this.maxRetryAfterMs), signal);
          continue;
        }
        failures += 1;
        this.log.warn({ connectionId, attempt: failures, err: error }, 'sync call failed; retrying');
        await sleep(backoffDelay(failures, this.backoff, this.random), signal);
      }
    }
  }

  /** Runs a storage step until it succeeds; errors retrying cannot fix (fenced, access denied) are rethrown. */
  private async retrying<T>(what: string, step: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await step();
      } catch (error) {
        if ((error instanceof CrawlerError && !error.retryable) || causedByAccessDenied(error) || aborted(signal)) throw error;
        this.log.warn({ step: what, attempt, err: error }, 'sync storage step failed; retrying');
        await sleep(backoffDelay(attempt, this.backoff, this.random), signal);
        if (aborted(signal)) throw error;
      }
    }
  }
}
