import type { Logger } from '../../shared/logger.js';
import { silentLogger } from '../../shared/logger.js';
import type { ProducerRecord, PutResult } from '../../shared/kinesis/types.js';
import { RAW_RECORD_VERSION } from '../../shared/schemas/raw-record.js';
import type { RawRecord } from '../../shared/schemas/raw-record.js';
import { RejectCode } from '../../shared/schemas/reject-codes.js';
import { buildRejectRecord, RejectStage } from '../../shared/schemas/reject-record.js';
import type { RejectRecord } from '../../shared/schemas/reject-record.js';
import { parseBrokerLine, transactionContentHash } from '../../shared/schemas/transaction.js';
import type { BrokerTransaction, Transaction } from '../../shared/schemas/transaction.js';
import { mapLimit } from './concurrency.js';
import { PagePublishError } from './errors.js';
import { LedgerStatus } from './ingest-ledger.js';
import type { IngestLedger, LedgerEntry } from './ingest-ledger.js';

/** Puts records on the raw stream (the `KinesisProducer` from shared/kinesis). */
export interface RecordPublisher {
  put(record: ProducerRecord): Promise<PutResult>;
}

/** Keeps rejects (the `RejectStore` from workers/lib); idempotent by rejectId. */
export interface RejectSink {
  put(reject: RejectRecord): Promise<boolean>;
}

/** The ledger operations the processor needs (the `IngestLedger`). */
export type Ledger = Pick<IngestLedger, 'get' | 'claim' | 'markPublished'>;

/** A page to process: the cursor it was asked with, and its lines. */
export interface PageInput {
  readonly cursor: string | null;
  readonly lines: readonly string[];
}

/** What became of a page's lines. */
export interface PageOutcome {
  readonly lines: number;
  /** Put on the raw stream for the first time. */
  readonly published: number;
  /** Found `pending` in the ledger (a crash between claim and put) and put again. */
  readonly republished: number;
  /** Seen before with the same content: nothing changes downstream. */
  readonly duplicates: number;
  readonly rejected: number;
  readonly rejectsByCode: Readonly<Record<string, number>>;
}

/** A record to put on the stream, and the ledger entry to mark once it is there. */
interface Publication {
  readonly line: number;
  readonly transactionId: string;
  readonly contentHash: string;
  readonly partitionKey: string;
  readonly data: string;
  /** Put again from a `pending` entry, rather than for the first time. */
  readonly again: boolean;
}

/** A page whose decisions are made and whose new ids are claimed: what `commit` makes durable. */
export interface PreparedPage {
  readonly cursor: string | null;
  readonly lines: number;
  readonly publications: readonly Publication[];
  readonly rejects: readonly RejectRecord[];
  readonly duplicates: number;
  readonly preparedAt: Date;
}

export interface PageProcessorOptions {
  readonly ledger: Ledger;
  readonly publisher: RecordPublisher;
  readonly rejects: RejectSink;
  /** @default a silent logger */
  readonly logger?: Logger;
  /** Reject-store writes at once. @default 16 */
  readonly rejectConcurrency?: number;
  /** Pages whose `published` marks may be written in the background at once. @default 2 */
  readonly maxMarksInFlight?: number;
  /** The receiving clock (`ingestedAt`, the future-date rule); injectable for tests. @default () => new Date() */
  readonly clock?: () => Date;
}

interface Candidate {
  readonly line: number;
  readonly transaction: Transaction;
  readonly original: BrokerTransaction;
  readonly contentHash: string;
}

function partitionKeyOf(record: string): string {
  return (JSON.parse(record) as RawRecord).transaction.userId;
}

/**
 * Turns one broker page into durable effects: every line either on the raw stream (once per
 * transactionId and content) or in the reject store with its code. `prepare` then `commit`; when
 * `commit` resolves the caller may save the page's next cursor. Either may be run again after a
 * failure (the ledger and the reject ids make every step idempotent).
 *
 * Ledger protocol, write-ahead. `prepare`: (1) one consistent BatchGetItem per 100 ids of the page;
 * (2) ids the ledger lacks are recorded `pending` with their record (see `IngestLedger.claim`).
 * `commit`: (3) those and any still-`pending` ones are put on the stream and the rejects stored;
 * (4) they are marked `published` in the background. A crash after (2) leaves `pending` items
 * whose page is read again (the cursor was not saved), and `pending` seen again is put again from
 * the stored record: at-least-once, and the first version stands even if the broker sends
 * another one on the re-read. The reverse order (put, then record) needs one write less per
 * record but, after a crash between the two, could publish two versions of an id that changed at
 * the broker meanwhile.
 *
 * @example
 * const processor = new PageProcessor({ ledger, publisher: producer, rejects: rejectStore });
 * const outcome = await processor.process({ cursor: null, lines });
 */
export class PageProcessor {
  private readonly ledger: Ledger;
  private readonly publisher: RecordPublisher;
  private readonly rejects: RejectSink;
  private readonly log: Logger;
  private readonly rejectConcurrency: number;
  private readonly clock: () => Date;
  private readonly maxMarksInFlight: number;
  /**
   * transactionId → content hash of ids this process claimed (in a prepared page that will be
   * committed before any cursor past it is saved) or put, whose `published` mark has not landed.
   * Their `pending` in the ledger is ours, not a crash's: they must not be put a second time.
   */
  private readonly ours = new Map<string, string>();
  private readonly markWrites = new Set<Promise<void>>();

  public constructor(options: PageProcessorOptions) {
    this.ledger = options.ledger;
    this.publisher = options.publisher;
    this.rejects = options.rejects;
    this.log = options.logger ?? silentLogger();
    this.rejectConcurrency = options.rejectConcurrency ?? 16;
    this.clock = options.clock ?? (() => new Date());
    this.maxMarksInFlight = options.maxMarksInFlight ?? 2;
  }

  /** `prepare` then `commit`. */
  public async process(page: PageInput): Promise<PageOutcome> {
    return this.commit(await this.prepare(page));
  }

  /** Validates the lines, decides each one against the ledger and the page, and claims new ids. */
  public async prepare(page: PageInput): Promise<PreparedPage> {
    const now = this.clock();
    const rejects: RejectRecord[] = [];
    const reject = (line: number, code: string, message: string, transactionId?: string): void => {
      rejects.push(
        buildRejectRecord({ code, message, stage: RejectStage.Crawler, source: { cursor: page.cursor, line }, raw: page.lines[line] ?? '', now, ...(transactionId === undefined ? {} : { transactionId }) }),
      );
    };

    // Validate every line; group the valid ones by id, in page order.
    const byId = new Map<string, Candidate[]>();
    page.lines.forEach((text, line) => {
      const result = parseBrokerLine(text, now);
      if (!result.ok) return reject(line, result.code, result.message);
      const candidate: Candidate = { line, transaction: result.transaction, original: result.original, contentHash: transactionContentHash(result.transaction) };
      const group = byId.get(candidate.transaction.transactionId);
      if (group === undefined) byId.set(candidate.transaction.transactionId, [candidate]);
      else group.push(candidate);
    });

    const known = await this.ledger.get([...byId.keys()]);
    const ingestedAt = now.toISOString();
    const toRecord = (c: Candidate): string => {
      const raw: RawRecord = { v: RAW_RECORD_VERSION, ingestedAt, source: { cursor: page.cursor, line: c.line }, contentHash: c.contentHash, transaction: c.original };
      return JSON.stringify(raw);
    };
    const conflict = (c: Candidate, standing: string, where: string): void =>
      reject(
        c.line,
        RejectCode.ConflictingDuplicate,
        `transactionId ${c.transaction.transactionId} was first seen ${where} with content hash ${standing}; this line has ${c.contentHash}, so the first stands`,
        c.transaction.transactionId,
      );

    const publications: Publication[] = [];
    const claims: Publication[] = [];
    let duplicates = 0;
    for (const [transactionId, group] of byId) {
      const entry = this.current(known.get(transactionId));
      const first = group[0] as Candidate;
      const standing = entry?.contentHash ?? first.contentHash;
      // Whether the standing version is taken care of: published, ours in flight, or put again now.
      let settled = entry?.status === LedgerStatus.Published;
      if (entry?.status === LedgerStatus.Pending) {
        const again = this.republication(entry, group, toRecord);
        if (again !== undefined) publications.push(again);
        settled = true;
      }
      for (const candidate of group) {
        if (candidate.contentHash !== standing) conflict(candidate, standing, entry === undefined ? `earlier on this page (line ${first.line})` : 'before (ingest ledger)');
        else if (settled) duplicates += 1;
        else {
          claims.push({ line: candidate.line, transactionId, contentHash: candidate.contentHash, partitionKey: candidate.transaction.userId, data: toRecord(candidate), again: false });
          settled = true;
        }
      }
    }

    // Write ahead: new ids are recorded pending, with their record, before they go on the stream.
    await this.ledger.claim(
      claims.map((p) => ({ transactionId: p.transactionId, contentHash: p.contentHash, record: p.data })),
      now,
    );
    for (const p of [...claims, ...publications]) this.ours.set(p.transactionId, p.contentHash);
    publications.push(...claims);
    publications.sort((a, b) => a.line - b.line);
    return { cursor: page.cursor, lines: page.lines.length, publications, rejects, duplicates, preparedAt: now };
  }

  /**
   * Puts the page's records on the stream (in page order, so each user's order holds) and stores
   * its rejects; resolves when all are durable. Safe to run again after it failed.
   */
  public async commit(page: PreparedPage): Promise<PageOutcome> {
    const [putResults, rejectResults] = await Promise.all([
      Promise.allSettled(page.publications.map((p) => this.publisher.put({ data: p.data, partitionKey: p.partitionKey }))),
      mapLimit(page.rejects, this.rejectConcurrency, (r) => this.rejects.put(r)).then(
        () => undefined,
        (error: unknown) => ({ error }),
      ),
    ]);
    const failedPuts = putResults.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failedPuts.length > 0 || rejectResults !== undefined) {
      const cause = failedPuts[0]?.reason ?? rejectResults?.error;
      throw new PagePublishError(failedPuts.length + (rejectResults === undefined ? 0 : 1), page.publications.length + page.rejects.length, { cause });
    }
    await this.markPublished(page.publications, page.preparedAt);

    const rejectsByCode: Record<string, number> = {};
    for (const r of page.rejects) rejectsByCode[r.code] = (rejectsByCode[r.code] ?? 0) + 1;
    const republished = page.publications.filter((p) => p.again).length;
    const outcome: PageOutcome = { lines: page.lines, published: page.publications.length - republished, republished, duplicates: page.duplicates, rejected: page.rejects.length, rejectsByCode };
    this.log.debug({ cursor: page.cursor, ...outcome }, 'page stored');
    return outcome;
  }

  /** Resolves once every `published` mark written in the background has landed (or failed). */
  public async flush(): Promise<void> {
    while (this.markWrites.size > 0) await Promise.all([...this.markWrites]);
  }

  /** A `pending` entry this process claimed or put is as good as `published`: it is on its way. */
  private current(entry: LedgerEntry | undefined): LedgerEntry | undefined {
    if (entry?.status !== LedgerStatus.Pending || this.ours.get(entry.transactionId) !== entry.contentHash) return entry;
    return { ...entry, status: LedgerStatus.Published, record: undefined };
  }

  /**
   * Marks the page's records `published` in the background, while the next page is read. The
   * mark does not gate the cursor: the records are on the stream already, and an entry left
   * `pending` (a crash, a failed mark) costs at most one harmless re-put if its id comes again.
   * At most `maxMarksInFlight` pages' marks run at once, which is the backpressure.
   */
  private async markPublished(publications: readonly Publication[], now: Date): Promise<void> {
    while (this.markWrites.size >= this.maxMarksInFlight) await Promise.race([...this.markWrites]);
    if (publications.length === 0) return;
    const write: Promise<void> = this.ledger
      .markPublished(publications, now)
      .catch((error: unknown) => this.log.warn({ err: error, records: publications.length }, 'could not mark records published; they stay pending (a later duplicate is put again)'))
      .finally(() => {
        for (const p of publications) if (this.ours.get(p.transactionId) === p.contentHash) this.ours.delete(p.transactionId);
        this.markWrites.delete(write);
      });
    this.markWrites.add(write);
  }

  /** The record to put again for a `pending` entry: the stored first version, else this page's copy of it. */
  private republication(entry: LedgerEntry, group: readonly Candidate[], toRecord: (c: Candidate) => string): Publication | undefined {
    const same = group.find((c) => c.contentHash === entry.contentHash);
    const data = entry.record ?? (same === undefined ? undefined : toRecord(same));
    if (data === undefined) {
      this.log.warn({ transactionId: entry.transactionId }, 'pending ledger entry without its record and no matching line; it cannot be put again');
      return undefined;
    }
    return { line: (same ?? group[0])?.line ?? 0, transactionId: entry.transactionId, contentHash: entry.contentHash, partitionKey: partitionKeyOf(data), data, again: true };
  }
}
