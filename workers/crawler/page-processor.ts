import type { Logger } from '../../shared/logger.js';
import { silentLogger } from '../../shared/logger.js';
import type { ProducerRecord, PutResult } from '../../shared/kinesis/index.js';
import { RAW_RECORD_VERSION } from '../../shared/schemas/raw-record.js';
import type { RawRecord } from '../../shared/schemas/raw-record.js';
import { streamPartitionKey } from '../../shared/schemas/stream-partition-key.js';
import { RejectCode } from '../../shared/schemas/reject-codes.js';
import { buildRejectRecord, RejectStage } from '../../shared/rejects/reject-record.js';
import type { RejectRecord } from '../../shared/rejects/reject-record.js';
import { parseBrokerLine, transactionContentHash } from '../../shared/schemas/transaction.js';
import type { BrokerTransaction, Transaction } from '../../shared/schemas/transaction.js';
import { mapLimit } from '../lib/concurrency.js';
import { PagePublishError } from './errors.js';
import type { IngestLedger, LedgerEntry } from './ingest-ledger.js';
import type { PageStamp, Watermark } from './watermark.js';

/** Puts records on the raw stream (the `KinesisProducer` from shared/kinesis). */
export interface RecordPublisher {
  put(record: ProducerRecord): Promise<PutResult>;
}

/** Keeps rejects (the `RejectStore` from workers/lib); idempotent by rejectId. */
export interface RejectSink {
  put(reject: RejectRecord): Promise<boolean>;
}

/** The ledger operations the processor needs (the `IngestLedger`). */
export type Ledger = Pick<IngestLedger, 'get' | 'claim'>;

/** The crawl's publication watermark (see `Watermark`). */
export type PageWatermark = Pick<Watermark, 'stampNext' | 'isPublished' | 'committed'>;

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
  /** Found claimed by a page that never finished (a crash between claim and put) and put again. */
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
  /** Put again for an entry whose claiming page never committed, rather than for the first time. */
  readonly again: boolean;
}

/** A page whose decisions are made and whose new ids are claimed: what `commit` makes durable. */
export interface PreparedPage {
  readonly cursor: string | null;
  /** The page's number in the crawl; its claims carry it. */
  readonly stamp: PageStamp;
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
  return streamPartitionKey((JSON.parse(record) as RawRecord).transaction);
}

/**
 * Turns one broker page into durable effects: every line either on the raw stream (once per
 * transactionId and content) or in the reject store with its code. `prepare` then `commit`; when
 * `commit` resolves the caller may save the page's next cursor. Either may be run again after a
 * failure (the ledger and the reject ids make every step idempotent).
 *
 * Ledger protocol, write-ahead, one write per record. `prepare`: (1) one consistent BatchGetItem
 * per 100 ids of the page; (2) ids the ledger lacks are claimed with their record and the page's
 * stamp (crawl, run, page number), see `IngestLedger.claim`. `commit`: (3) they are put on the
 * stream and the rejects stored; the page is then committed, which moves the crawl's
 * `Watermark`. An entry whose page is below the watermark is on the stream: seen again with the
 * same content it changes nothing. An entry whose page never committed (a crash after (2), a
 * stop) is put again from its stored record and claimed anew by the page that sees it: at
 * least once, and the first version stands even if the broker sends another one on the re-read.
 * This is the `pending`-then-`published` protocol with the `published` mark read from the
 * watermark instead of written per record: half the ledger writes (write units on AWS; on the
 * local emulators DynamoDB Local is shared with the projector's transactions and is the
 * pipeline's bottleneck). The reverse order (put, then record) also needs one write, but after a
 * crash between the two it could publish two versions of an id that changed at the broker
 * meanwhile.
 *
 * @example
 * const processor = new PageProcessor({ ledger, publisher: producer, rejects: rejectStore });
 * const outcome = await processor.process({ cursor: null, lines }, watermark);
 */
export class PageProcessor {
  private readonly ledger: Ledger;
  private readonly publisher: RecordPublisher;
  private readonly rejects: RejectSink;
  private readonly log: Logger;
  private readonly rejectConcurrency: number;
  private readonly clock: () => Date;
  /**
   * transactionId → content hash of ids claimed by a prepared page of this process whose commit
   * is still to come (the next page is prepared while the previous one commits). Their page is
   * not below the watermark yet, but they are on their way: not to be put a second time.
   */
  private readonly ours = new Map<string, string>();

  public constructor(options: PageProcessorOptions) {
    this.ledger = options.ledger;
    this.publisher = options.publisher;
    this.rejects = options.rejects;
    this.log = options.logger ?? silentLogger();
    this.rejectConcurrency = options.rejectConcurrency ?? 16;
    this.clock = options.clock ?? (() => new Date());
  }

  /** `prepare` then `commit`. */
  public async process(page: PageInput, watermark: PageWatermark): Promise<PageOutcome> {
    return this.commit(await this.prepare(page, watermark), watermark);
  }

  /** Validates the lines, decides each one against the ledger and the page, and claims new ids. */
  public async prepare(page: PageInput, watermark: PageWatermark): Promise<PreparedPage> {
    const now = this.clock();
    const stamp = watermark.stampNext();
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
    let duplicates = 0;
    for (const [transactionId, group] of byId) {
      const entry = known.get(transactionId);
      const first = group[0] as Candidate;
      const standing = entry?.contentHash ?? first.contentHash;
      // Whether the standing version is taken care of: on the stream, on its way, or put again now.
      let settled = entry !== undefined && (this.ours.get(transactionId) === entry.contentHash || watermark.isPublished(entry.stamp));
      if (entry !== undefined && !settled) {
        const again = this.republication(entry, group, toRecord);
        if (again !== undefined) publications.push(again);
        settled = true;
      }
      for (const candidate of group) {
        if (candidate.contentHash !== standing) conflict(candidate, standing, entry === undefined ? `earlier on this page (line ${first.line})` : 'before (ingest ledger)');
        else if (settled) duplicates += 1;
        else {
          publications.push({ line: candidate.line, transactionId, contentHash: candidate.contentHash, partitionKey: streamPartitionKey(candidate.transaction), data: toRecord(candidate), again: false });
          settled = true;
        }
      }
    }

    // Write ahead: new ids, and unfinished ones being put again, are claimed by this page first.
    await this.ledger.claim(
      publications.map((p) => ({ transactionId: p.transactionId, contentHash: p.contentHash, record: p.data, stamp })),
      now,
    );
    for (const p of publications) this.ours.set(p.transactionId, p.contentHash);
    publications.sort((a, b) => a.line - b.line);
    return { cursor: page.cursor, stamp, lines: page.lines.length, publications, rejects, duplicates, preparedAt: now };
  }

  /**
   * Puts the page's records on the stream and stores its rejects; resolves when all are durable.
   * Safe to run again after it failed. No order is promised on the stream (the crawler's producer
   * puts a key's records several to a call): nothing downstream needs it.
   */
  public async commit(page: PreparedPage, watermark: PageWatermark): Promise<PageOutcome> {
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
    // Both in one synchronous step, so a lookup by the page being prepared meanwhile sees these
    // ids either as ours or as below the watermark, never as unfinished.
    watermark.committed(page.stamp.seq);
    for (const p of page.publications) if (this.ours.get(p.transactionId) === p.contentHash) this.ours.delete(p.transactionId);

    const rejectsByCode: Record<string, number> = {};
    for (const r of page.rejects) rejectsByCode[r.code] = (rejectsByCode[r.code] ?? 0) + 1;
    const republished = page.publications.filter((p) => p.again).length;
    const outcome: PageOutcome = { lines: page.lines, published: page.publications.length - republished, republished, duplicates: page.duplicates, rejected: page.rejects.length, rejectsByCode };
    this.log.debug({ cursor: page.cursor, ...outcome }, 'page stored');
    return outcome;
  }

  /** The record to put again for an unfinished entry: the stored first version, else this page's copy of it. */
  private republication(entry: LedgerEntry, group: readonly Candidate[], toRecord: (c: Candidate) => string): Publication | undefined {
    const same = group.find((c) => c.contentHash === entry.contentHash);
    const data = entry.record ?? (same === undefined ? undefined : toRecord(same));
    if (data === undefined) {
      this.log.warn({ transactionId: entry.transactionId }, 'unfinished ledger entry without its record and no matching line; it cannot be put again');
      return undefined;
    }
    return { line: (same ?? group[0])?.line ?? 0, transactionId: entry.transactionId, contentHash: entry.contentHash, partitionKey: partitionKeyOf(data), data, again: true };
  }
}
