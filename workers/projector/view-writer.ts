import { BatchWriteItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient, WriteRequest } from '@aws-sdk/client-dynamodb';
import { backoffDelay, sleep } from '../../shared/backoff.js';
import type { Logger } from '../../shared/logger.js';
import { silentLogger } from '../../shared/logger.js';
import type { ScoredResult } from '../../shared/schemas/scored-result.js';
import { localMonth } from '../../shared/view/months.js';
import { itemOf, monthExpiry } from '../../shared/view/version.js';
import { mapLimit } from '../lib/concurrency.js';
import { RetriesExhaustedError, UnwritableItemsError, WriteAbortedError } from './errors.js';

/** DynamoDB's limit of items in one `BatchWriteItem`. */
export const MAX_BATCH_WRITE_ITEMS = 25;
/** DynamoDB's key limits: a partition key value up to 2,048 bytes, a sort key value up to 1,024. */
const MAX_PK_BYTES = 2048;
const MAX_SK_BYTES = 1024;

/** Everything a `ViewWriter` is built from. Times are in milliseconds. */
export interface ViewWriterOptions {
  /** Injected, never built here. */
  readonly dynamodb: DynamoDBClient;
  /** The view table (catalog `view`). */
  readonly tableName: string;
  /** `BatchWriteItem` requests (25 items each) of one `write()` in flight at once. @default 4 */
  readonly maxConcurrentRequests?: number;
  /**
   * Attempts of one request that make no progress (throttled whole, unprocessed items only,
   * transport errors) before `write()` rejects with `RetriesExhaustedError`.
   * @default 8
   */
  readonly maxAttempts?: number;
  /** First back-off ceiling (full jitter), doubling per attempt. @default 25 */
  readonly backoffBaseMs?: number;
  /** @default 2_000 */
  readonly backoffMaxMs?: number;
  /**
   * Days after the end of a month that its versions expire through the table's TTL; 0 keeps them
   * for ever.
   * @default 0
   */
  readonly retentionDays?: number;
  /** @default () => new Date() */
  readonly clock?: () => Date;
  /** @default a silent logger */
  readonly logger?: Logger;
}

/** What one `write()` did. */
export interface WriteResult {
  /** Distinct versions now in the view (written by this call; a replayed one is written again, unchanged). */
  readonly written: number;
  /** Results that repeated a version already in the same call: written once. */
  readonly repeated: number;
  /** `BatchWriteItem` requests sent, retries included. */
  readonly requests: number;
  /** Requests sent again after throttling, unprocessed items or a transport error. */
  readonly retries: number;
  /** Write capacity DynamoDB reported consumed (WRU), as it bills it. */
  readonly consumedWru: number;
}

/** Cumulative figures since the writer was built. */
export interface WriterStats extends WriteResult {
  readonly writes: number;
}

/** Error names that a later attempt of the same request can get past. */
const TRANSIENT_ERRORS: ReadonlySet<string> = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

/** Errors that say this request itself is wrong: retrying the same items cannot help. */
const PERMANENT_ERRORS: ReadonlySet<string> = new Set(['ValidationException', 'SerializationException']);

interface Tally {
  written: number;
  requests: number;
  retries: number;
  consumedWru: number;
}

interface Put {
  readonly transactionId: string;
  readonly request: WriteRequest;
}

// A function, not an inline check: the flag changes while a request is awaited.
const aborted = (signal: AbortSignal | undefined): boolean => signal?.aborted === true;

const errorName = (error: unknown): string => (typeof error === 'object' && error !== null && typeof (error as { name?: unknown }).name === 'string' ? (error as { name: string }).name : 'UnknownError');

/**
 * Writes scored results into the view: each result is one item, the version it carries, put with
 * plain `BatchWriteItem` (25 items a request, several requests in flight): no transaction, no
 * condition, no read. A version always lands on the same key, so writing it again (a redelivery,
 * a replay, two projectors during a lease hand-off) changes nothing the read model shows; a newer
 * version lands beside the older one and the read model shows the highest (see
 * `shared/view/collapse.ts`). Totals are not stored: they are summed on read from the month's
 * versions, so they cannot drift from the transactions. One item of under 1 KB is 1 WRU per
 * result.
 *
 * @example
 * const writer = new ViewWriter({ dynamodb, tableName: names.tables.view });
 * const { written, consumedWru } = await writer.write(results);
 */
export class ViewWriter {
  private readonly dynamodb: DynamoDBClient;
  private readonly tableName: string;
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private readonly backoff: { baseMs: number; maxMs: number };
  private readonly retentionDays: number;
  private readonly clock: () => Date;
  private readonly log: Logger;
  private readonly totals: Tally & { repeated: number; writes: number } = { written: 0, repeated: 0, requests: 0, retries: 0, consumedWru: 0, writes: 0 };

  public constructor(options: ViewWriterOptions) {
    this.dynamodb = options.dynamodb;
    this.tableName = options.tableName;
    this.concurrency = options.maxConcurrentRequests ?? 4;
    this.maxAttempts = options.maxAttempts ?? 8;
    this.backoff = { baseMs: options.backoffBaseMs ?? 25, maxMs: options.backoffMaxMs ?? 2_000 };
    this.retentionDays = options.retentionDays ?? 0;
    this.clock = options.clock ?? (() => new Date());
    this.log = options.logger ?? silentLogger();
    if (typeof this.tableName !== 'string' || this.tableName === '') throw new RangeError('option tableName must be a non-empty string');
    for (const [name, value] of [['maxConcurrentRequests', this.concurrency], ['maxAttempts', this.maxAttempts], ['backoffBaseMs', this.backoff.baseMs], ['backoffMaxMs', this.backoff.maxMs]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new RangeError(`option ${name} must be a positive integer, got ${value}`);
    }
    if (!Number.isFinite(this.retentionDays) || this.retentionDays < 0) throw new RangeError(`option retentionDays must be 0 or more, got ${this.retentionDays}`);
  }

  /** Cumulative figures since construction. */
  public get stats(): WriterStats {
    return { ...this.totals };
  }

  /**
   * Writes results (any users, any order, any versions, duplicates allowed) and resolves once every
   * one is in the view. Rejects with `UnwritableItemsError` when an item can never be written,
   * `RetriesExhaustedError` when throttling or transport errors outlast `maxAttempts`,
   * `WriteAbortedError` when `signal` aborts; items written before a rejection stay, and writing
   * the same results again completes the rest.
   */
  public async write(results: readonly ScoredResult[], options: { readonly signal?: AbortSignal } = {}): Promise<WriteResult> {
    const puts = this.build(results);
    const tally: Tally = { written: 0, requests: 0, retries: 0, consumedWru: 0 };
    const chunks: Put[][] = [];
    for (let i = 0; i < puts.length; i += MAX_BATCH_WRITE_ITEMS) chunks.push(puts.slice(i, i + MAX_BATCH_WRITE_ITEMS));
    try {
      await mapLimit(chunks, this.concurrency, (chunk) => this.send(chunk, tally, options.signal));
    } finally {
      this.totals.writes += 1;
      this.totals.written += tally.written;
      this.totals.repeated += results.length - puts.length;
      this.totals.requests += tally.requests;
      this.totals.retries += tally.retries;
      this.totals.consumedWru += tally.consumedWru;
    }
    return { ...tally, repeated: results.length - puts.length };
  }

  /** One put per distinct version (a request may not name one key twice), with viewedAt taken now. */
  private build(results: readonly ScoredResult[]): Put[] {
    const viewedAt = this.clock().toISOString();
    const byKey = new Map<string, Put>();
    const expiries = new Map<string, number | undefined>();
    const unwritable: { transactionId: string; reason: string }[] = [];
    for (const result of results) {
      let expiresAt: number | undefined;
      if (this.retentionDays > 0) {
        const month = localMonth(result.bookedAt);
        expiresAt = expiries.get(month);
        if (expiresAt === undefined) {
          expiresAt = monthExpiry(month, this.retentionDays);
          expiries.set(month, expiresAt);
        }
      }
      const item = itemOf(result, viewedAt, expiresAt);
      const pk = (item['pk'] as { S: string }).S;
      const sk = (item['sk'] as { S: string }).S;
      // A UTF-8 character is at most 3 bytes per UTF-16 unit: short keys need no byte count.
      if ((pk.length * 3 > MAX_PK_BYTES && Buffer.byteLength(pk, 'utf8') > MAX_PK_BYTES) || (sk.length * 3 > MAX_SK_BYTES && Buffer.byteLength(sk, 'utf8') > MAX_SK_BYTES)) {
        unwritable.push({ transactionId: result.transactionId, reason: `its key is longer than DynamoDB allows (partition key ${MAX_PK_BYTES} bytes, sort key ${MAX_SK_BYTES})` });
        continue;
      }
      const key = `${pk}\u0000${sk}`;
      if (!byKey.has(key)) byKey.set(key, { transactionId: result.transactionId, request: { PutRequest: { Item: item } } });
    }
    if (unwritable.length > 0) throw new UnwritableItemsError(unwritable.map((u) => u.transactionId), unwritable[0]?.reason ?? 'unwritable');
    return [...byKey.values()];
  }

  /** Sends one chunk until every item is written, backing off on throttling and unprocessed items. */
  private async send(chunk: readonly Put[], tally: Tally, signal: AbortSignal | undefined): Promise<void> {
    let pending = [...chunk];
    let attempt = 0;
    while (pending.length > 0) {
      if (aborted(signal)) throw new WriteAbortedError();
      attempt += 1;
      let reason: string;
      try {
        tally.requests += 1;
        const out = await this.dynamodb.send(
          new BatchWriteItemCommand({ RequestItems: { [this.tableName]: pending.map((p) => p.request) }, ReturnConsumedCapacity: 'TOTAL' }),
          signal === undefined ? {} : { abortSignal: signal },
        );
        for (const consumed of out.ConsumedCapacity ?? []) tally.consumedWru += consumed.CapacityUnits ?? 0;
        const unprocessed = out.UnprocessedItems?.[this.tableName] ?? [];
        tally.written += pending.length - unprocessed.length;
        if (unprocessed.length === 0) return;
        // Progress was made: only requests that get nothing through count against maxAttempts.
        if (unprocessed.length < pending.length) attempt = 0;
        const left = new Set(unprocessed.map((u) => `${u.PutRequest?.Item?.['pk']?.S}\u0000${u.PutRequest?.Item?.['sk']?.S}`));
        pending = pending.filter((p) => left.has(`${p.request.PutRequest?.Item?.['pk']?.S}\u0000${p.request.PutRequest?.Item?.['sk']?.S}`));
        reason = `${unprocessed.length} unprocessed item(s)`;
      } catch (error) {
        if (aborted(signal)) throw new WriteAbortedError();
        const name = errorName(error);
        if (PERMANENT_ERRORS.has(name)) throw new UnwritableItemsError(pending.map((p) => p.transactionId), `${name}: ${(error as Error).message}`, { cause: error });
        // Throttling, transport failures (ECONNRESET, socket hang up) and anything unknown are worth
        // another try; a lasting one ends as RetriesExhaustedError and the consumer's batch retry takes over.
        reason = TRANSIENT_ERRORS.has(name) ? name : `${name}: ${(error as Error).message ?? ''}`;
        if (attempt >= this.maxAttempts) throw new RetriesExhaustedError(attempt, reason, { cause: error });
      }
      if (attempt >= this.maxAttempts) throw new RetriesExhaustedError(attempt, reason);
      tally.retries += 1;
      this.log.debug({ attempt, reason, items: pending.length }, 'view write retrying');
      await sleep(backoffDelay(Math.max(1, attempt), this.backoff), signal);
    }
  }
}
