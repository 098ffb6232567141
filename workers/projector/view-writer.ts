import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { backoffDelay, sleep } from '../../shared/backoff.js';
import type { Logger } from '../../shared/logger.js';
import { silentLogger } from '../../shared/logger.js';
import type { ScoredResult } from '../../shared/schemas/scored-result.js';
import { RetriesExhaustedError, UnwritableTransactionError, WriteAbortedError } from './errors.js';
import { Grouping, MAX_TRANSACTION_ACTIONS, dedupeByTransactionId, planTransactions } from './transaction-planner.js';
import { Attr, ItemKind, localMonth, monthExpiry, toAnomalyItem, toMarkerItem, toTransactionItem, totalDeltas } from './view-model.js';

/** Everything a `ViewWriter` is built from. Times are in milliseconds. */
export interface ViewWriterOptions {
  /** Injected, never built here. */
  readonly dynamodb: DynamoDBClient;
  /** The view table (catalog `view`). */
  readonly tableName: string;
  /** How a batch is cut into transactions; see `Grouping`. @default 'packed' */
  readonly grouping?: Grouping;
  /** Actions per transaction, at most DynamoDB's 100. @default 100 */
  readonly maxActionsPerTransaction?: number;
  /**
   * Transactions of one `write()` in flight at once. Two that update the same total never run
   * together, so a batch never conflicts with itself.
   * @default 4
   */
  readonly maxConcurrentTransactions?: number;
  /**
   * Attempts of one transaction against conflicts, throttling and transport errors before
   * `write()` rejects with `RetriesExhaustedError` (duplicates dropped on the way do not count).
   * @default 8
   */
  readonly maxAttempts?: number;
  /** First back-off ceiling (full jitter), doubling per attempt. @default 25 */
  readonly backoffBaseMs?: number;
  /** @default 2_000 */
  readonly backoffMaxMs?: number;
  /**
   * Days after the end of a month that its items (transactions, markers, anomalies, totals alike)
   * expire through the table's TTL; 0 keeps them for ever.
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
  /** Results that are now in the view and counted in its totals. */
  readonly written: number;
  /** Results already in the view (replays, redeliveries) or repeated within the batch: no effect. */
  readonly duplicates: number;
  /**
   * Of the duplicates, those whose `contentHash` differs from the copy that stands (a changed
   * transaction re-sent under the same id). The first copy stays; these are logged as warnings.
   */
  readonly conflicting: number;
  /** Transactions committed. */
  readonly transactions: number;
  /** Transaction attempts repeated after a conflict, throttling or transport error. */
  readonly retries: number;
}

/** Cumulative figures since the writer was built. */
export interface WriterStats extends WriteResult {
  readonly writes: number;
}

/** Cancellation reason codes of `TransactionCanceledException` (DynamoDB API reference). */
const CancellationCode = {
  None: 'None',
  ConditionalCheckFailed: 'ConditionalCheckFailed',
  TransactionConflict: 'TransactionConflict',
  ThrottlingError: 'ThrottlingError',
  ProvisionedThroughputExceeded: 'ProvisionedThroughputExceeded',
  ItemCollectionSizeLimitExceeded: 'ItemCollectionSizeLimitExceeded',
  ValidationError: 'ValidationError',
} as const;

/** Error names that a later attempt of the same request can get past. */
const TRANSIENT_ERRORS: ReadonlySet<string> = new Set([
  'TransactionConflictException',
  'TransactionInProgressException',
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

/** Errors that say this request itself is wrong: retrying the same records cannot help. */
const PERMANENT_ERRORS: ReadonlySet<string> = new Set(['ValidationException', 'SerializationException']);

type Outcome =
  | { readonly kind: 'duplicates'; readonly indices: ReadonlySet<number>; readonly alsoTransient: boolean; readonly standingHashes: ReadonlyMap<number, string> }
  | { readonly kind: 'transient'; readonly reason: string }
  | { readonly kind: 'permanent'; readonly reason: string };

interface BuiltTransaction {
  readonly input: TransactWriteCommandInput;
  /** Index of the result each action writes for; undefined for total updates. */
  readonly owners: readonly (number | undefined)[];
  /** Actions that put a marker (whose failed condition returns the standing copy's hash). */
  readonly markerActions: ReadonlySet<number>;
}

interface Tally {
  written: number;
  duplicates: number;
  conflicting: number;
  transactions: number;
  retries: number;
}

// A function, not an inline check: the flag changes while a request is awaited.
const aborted = (signal: AbortSignal | undefined): boolean => signal?.aborted === true;

const errorName = (error: unknown): string => (typeof error === 'object' && error !== null && typeof (error as { name?: unknown }).name === 'string' ? (error as { name: string }).name : 'UnknownError');

/**
 * Writes scored results into the view with exactly-once effects. Each result becomes a marker
 * keyed by its transactionId (conditioned on `attribute_not_exists`), its transaction item (same
 * condition) and, when flagged, its anomaly copy; the totals those results count are `ADD`ed in
 * the SAME `TransactWriteItems`, so a total moves if and only if its transaction items appear.
 * A batch's results are grouped by user and month into transactions of up to 100 actions. When a
 * transaction is cancelled because some markers exist (a replay, a redelivery), it is rebuilt
 * without those results and sent again; conflicts and throttling back off and retry.
 *
 * @example
 * const writer = new ViewWriter({ dynamodb, tableName: names.tables.view });
 * const { written, duplicates } = await writer.write(results);
 */
export class ViewWriter {
  private readonly doc: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly grouping: Grouping;
  private readonly maxActions: number;
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private readonly backoff: { baseMs: number; maxMs: number };
  private readonly retentionDays: number;
  private readonly clock: () => Date;
  private readonly log: Logger;
  private readonly totals: Tally & { writes: number } = { written: 0, duplicates: 0, conflicting: 0, transactions: 0, retries: 0, writes: 0 };

  public constructor(options: ViewWriterOptions) {
    this.doc = DynamoDBDocumentClient.from(options.dynamodb);
    this.tableName = options.tableName;
    this.grouping = options.grouping ?? Grouping.Packed;
    this.maxActions = options.maxActionsPerTransaction ?? MAX_TRANSACTION_ACTIONS;
    this.concurrency = options.maxConcurrentTransactions ?? 4;
    this.maxAttempts = options.maxAttempts ?? 8;
    this.backoff = { baseMs: options.backoffBaseMs ?? 25, maxMs: options.backoffMaxMs ?? 2_000 };
    this.retentionDays = options.retentionDays ?? 0;
    this.clock = options.clock ?? (() => new Date());
    this.log = options.logger ?? silentLogger();
    if (typeof this.tableName !== 'string' || this.tableName === '') throw new RangeError('option tableName must be a non-empty string');
    if (!(Object.values(Grouping) as string[]).includes(this.grouping)) throw new RangeError(`option grouping must be one of ${Object.values(Grouping).join(', ')}`);
    if (!Number.isInteger(this.maxActions) || this.maxActions < 4 || this.maxActions > MAX_TRANSACTION_ACTIONS) {
      throw new RangeError(`option maxActionsPerTransaction must be an integer from 4 to ${MAX_TRANSACTION_ACTIONS}, got ${this.maxActions}`);
    }
    for (const [name, value] of [['maxConcurrentTransactions', this.concurrency], ['maxAttempts', this.maxAttempts], ['backoffBaseMs', this.backoff.baseMs], ['backoffMaxMs', this.backoff.maxMs]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new RangeError(`option ${name} must be a positive integer, got ${value}`);
    }
    if (!Number.isFinite(this.retentionDays) || this.retentionDays < 0) throw new RangeError(`option retentionDays must be 0 or more, got ${this.retentionDays}`);
  }

  /** Cumulative figures since construction. */
  public get stats(): WriterStats {
    return { ...this.totals };
  }

  /**
   * Writes results (any users, any order, duplicates allowed) and resolves once every one is in
   * the view, by this call or an earlier one. Rejects with `UnwritableTransactionError` when a
   * transaction can never be written, `RetriesExhaustedError` when conflicts or throttling
   * outlast `maxAttempts`, `WriteAbortedError` when `signal` aborts; transactions committed before
   * a rejection stay, and writing the same results again completes the rest without double counting.
   */
  public async write(results: readonly ScoredResult[], options: { readonly signal?: AbortSignal } = {}): Promise<WriteResult> {
    const { unique, duplicates } = dedupeByTransactionId(results);
    const kept = new Set(unique);
    const firstHash = new Map(unique.map((r) => [r.transactionId, r.contentHash]));
    const conflicting = results.filter((r) => !kept.has(r) && firstHash.get(r.transactionId) !== r.contentHash).length;
    const tally: Tally = { written: 0, duplicates, conflicting, transactions: 0, retries: 0 };
    const plans = planTransactions(unique, this.grouping, this.maxActions);
    try {
      await this.runAll(plans, tally, options.signal);
    } finally {
      this.totals.writes += 1;
      this.totals.written += tally.written;
      this.totals.duplicates += tally.duplicates;
      this.totals.conflicting += tally.conflicting;
      this.totals.transactions += tally.transactions;
      this.totals.retries += tally.retries;
    }
    return { ...tally };
  }

  /**
   * Runs planned transactions, at most `concurrency` at once, never two that share a total item
   * (they would only conflict with each other).
   */
  private async runAll(plans: readonly ScoredResult[][], tally: Tally, signal: AbortSignal | undefined): Promise<void> {
    const pending = plans.map((results) => ({ results, keys: new Set(totalDeltas(results).map((d) => `${d.pk}\u0000${d.sk}`)) }));
    const busy = new Set<string>();
    const running = new Set<Promise<void>>();
    let failure: { error: unknown } | undefined;
    while ((pending.length > 0 && failure === undefined) || running.size > 0) {
      const index = running.size < this.concurrency && failure === undefined ? pending.findIndex((p) => ![...p.keys].some((k) => busy.has(k))) : -1;
      if (index < 0) {
        if (running.size === 0) break;
        await Promise.race(running);
        continue;
      }
      const [next] = pending.splice(index, 1);
      if (next === undefined) continue;
      for (const key of next.keys) busy.add(key);
      const task: Promise<void> = this.commit(next.results, tally, signal)
        .catch((error: unknown) => {
          failure ??= { error };
        })
        .finally(() => {
          for (const key of next.keys) busy.delete(key);
          running.delete(task);
        });
      running.add(task);
    }
    if (failure !== undefined) throw failure.error;
  }

  /** Commits one transaction's results, dropping those already in the view and retrying transient failures. */
  private async commit(results: readonly ScoredResult[], tally: Tally, signal: AbortSignal | undefined): Promise<void> {
    let remaining = [...results];
    let attempt = 0;
    while (remaining.length > 0) {
      if (aborted(signal)) throw new WriteAbortedError();
      attempt += 1;
      const built = this.build(remaining);
      let outcome: Outcome;
      try {
        await this.doc.send(new TransactWriteCommand(built.input), signal === undefined ? {} : { abortSignal: signal });
        tally.written += remaining.length;
        tally.transactions += 1;
        return;
      } catch (error) {
        if (aborted(signal)) throw new WriteAbortedError();
        outcome = classify(error, built);
        if (outcome.kind === 'permanent') throw new UnwritableTransactionError(remaining.map((r) => r.transactionId), outcome.reason, { cause: error });
        if (outcome.kind === 'duplicates') {
          const { indices, standingHashes } = outcome;
          const dropped = remaining.filter((_, i) => indices.has(i));
          const changed = remaining.filter((r, i) => indices.has(i) && standingHashes.has(i) && standingHashes.get(i) !== r.contentHash);
          remaining = remaining.filter((_, i) => !indices.has(i));
          tally.duplicates += dropped.length;
          tally.conflicting += changed.length;
          if (changed.length > 0) this.log.warn({ transactionIds: changed.map((r) => r.transactionId) }, 'results re-sent with different content; the first copy stands');
          this.log.debug({ duplicates: dropped.map((r) => r.transactionId), left: remaining.length }, 'results already in the view; retrying without them');
          // Dropping duplicates is progress, not a failed attempt: send the rest at once.
          if (!outcome.alsoTransient) {
            attempt -= 1;
            continue;
          }
        }
        if (attempt >= this.maxAttempts) throw new RetriesExhaustedError(attempt, outcome.kind === 'transient' ? outcome.reason : 'conflict', { cause: error });
        tally.retries += 1;
        this.log.debug({ attempt, reason: outcome.kind === 'transient' ? outcome.reason : 'conflict', records: remaining.length }, 'view transaction retrying');
        await sleep(backoffDelay(attempt, this.backoff), signal);
      }
    }
  }

  /** The `TransactWriteItems` input for results, with viewedAt taken now (the committing attempt). */
  private build(results: readonly ScoredResult[]): BuiltTransaction {
    const now = this.clock().toISOString();
    const items: NonNullable<TransactWriteCommandInput['TransactItems']> = [];
    const owners: (number | undefined)[] = [];
    const markerActions = new Set<number>();
    const notExists = { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': Attr.pk } };
    results.forEach((result, index) => {
      const expiry = monthExpiry(localMonth(result.bookedAt), this.retentionDays);
      // ALL_OLD: a cancelled marker put returns the standing copy, to tell a replay from changed content.
      markerActions.add(items.length);
      items.push({ Put: { TableName: this.tableName, Item: { ...toMarkerItem(result, now, expiry) }, ...notExists, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } });
      owners.push(index);
      items.push({ Put: { TableName: this.tableName, Item: { ...toTransactionItem(result, now, expiry) }, ...notExists } });
      owners.push(index);
      if (result.isAnomaly) {
        items.push({ Put: { TableName: this.tableName, Item: { ...toAnomalyItem(result, now, expiry) }, ...notExists } });
        owners.push(index);
      }
    });
    for (const delta of totalDeltas(results)) {
      const expiry = monthExpiry(delta.month, this.retentionDays);
      items.push({
        Update: {
          TableName: this.tableName,
          Key: { pk: delta.pk, sk: delta.sk },
          UpdateExpression: `ADD #sum :sum, #count :count SET #kind = :kind, #userId = :userId, #month = :month, #category = :category, #currency = :currency, #updatedAt = :now${expiry.expiresAt === undefined ? '' : ', #expiresAt = :expiresAt'}`,
          ExpressionAttributeNames: {
            '#sum': Attr.sumMinor,
            '#count': Attr.txnCount,
            '#kind': Attr.kind,
            '#userId': Attr.userId,
            '#month': Attr.month,
            '#category': Attr.category,
            '#currency': Attr.currency,
            '#updatedAt': Attr.updatedAt,
            ...(expiry.expiresAt === undefined ? {} : { '#expiresAt': Attr.expiresAt }),
          },
          ExpressionAttributeValues: {
            ':sum': delta.sumMinor,
            ':count': delta.txnCount,
            ':kind': ItemKind.Total,
            ':userId': delta.userId,
            ':month': delta.month,
            ':category': delta.category,
            ':currency': delta.currency,
            ':now': now,
            ...(expiry.expiresAt === undefined ? {} : { ':expiresAt': expiry.expiresAt }),
          },
        },
      });
      owners.push(undefined);
    }
    return { input: { TransactItems: items }, owners, markerActions };
  }
}

/**
 * What a failed `TransactWriteItems` means. A cancellation lists one reason per action: a failed
 * condition marks its result as already written; conflicts and throttling are worth another try;
 * a validation error is not.
 */
function classify(error: unknown, { owners, markerActions }: BuiltTransaction): Outcome {
  const name = errorName(error);
  if (name === 'TransactionCanceledException') {
    const reasons = (error as { CancellationReasons?: { Code?: string; Message?: string; Item?: Record<string, unknown> }[] }).CancellationReasons ?? [];
    const duplicates = new Set<number>();
    const standingHashes = new Map<number, string>();
    let transient: string | undefined;
    for (const [i, reason] of reasons.entries()) {
      const code = reason.Code ?? CancellationCode.None;
      if (code === CancellationCode.None) continue;
      if (code === CancellationCode.ConditionalCheckFailed) {
        const owner = owners[i];
        // Only puts carry a condition; a failed check anywhere else is not a duplicate.
        if (owner === undefined) return { kind: 'permanent', reason: `condition failed on a total update (action ${i})` };
        duplicates.add(owner);
        const hash = markerActions.has(i) ? standingHash(reason.Item) : undefined;
        if (hash !== undefined) standingHashes.set(owner, hash);
      } else if (code === CancellationCode.TransactionConflict || code === CancellationCode.ThrottlingError || code === CancellationCode.ProvisionedThroughputExceeded) {
        transient ??= code;
      } else {
        return { kind: 'permanent', reason: `${code}: ${reason.Message ?? ''} (action ${i})` };
      }
    }
    if (duplicates.size > 0) return { kind: 'duplicates', indices: duplicates, alsoTransient: transient !== undefined, standingHashes };
    return { kind: 'transient', reason: transient ?? `TransactionCanceledException without reasons: ${(error as Error).message}` };
  }
  if (PERMANENT_ERRORS.has(name)) return { kind: 'permanent', reason: `${name}: ${(error as Error).message}` };
  if (TRANSIENT_ERRORS.has(name)) return { kind: 'transient', reason: name };
  // Transport failures (ECONNRESET, socket hang up) and anything unknown: worth another try; a
  // lasting one ends as RetriesExhaustedError and the consumer's batch retry takes over.
  return { kind: 'transient', reason: `${name}: ${(error as Error).message ?? ''}` };
}

/** The standing marker's `contentHash` from a cancellation reason (returned in wire form, not unmarshalled). */
function standingHash(item: Record<string, unknown> | undefined): string | undefined {
  const value = item?.['contentHash'];
  if (typeof value === 'string') return value;
  const wire = (value as { S?: unknown } | undefined)?.S;
  return typeof wire === 'string' ? wire : undefined;
}
