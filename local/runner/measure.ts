import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from '@aws-sdk/client-kinesis';
import type { GetRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { RejectStore } from '../../shared/rejects/reject-store.js';
import { localMonth } from '../../shared/view/months.js';
import { scanView, shownTransactionIds } from '../../shared/view/scan-view.js';
import type { ViewContents } from '../../shared/view/scan-view.js';
import type { ExpectedOutcome } from './expected.js';
import { percentiles } from './stats.js';
import type { Percentiles } from './stats.js';
import { unpackScoredResults } from '../../shared/schemas/scored-results-record.js';

/** The run summary, every figure measured from the view, the reject store and the results stream. */
export interface RunSummary {
  readonly offered: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly rejectReasons: Record<string, number>;
  readonly deduplicated: number;
  readonly scored: number;
  readonly inView: number;
  /** Accepted transactions the view does not show. */
  readonly lost: number;
  /** Transactions in the view the broker never offered (another producer's, an earlier run's): reported, never subtracted. */
  readonly notOffered: number;
  readonly doubleCounted: number;
  /** Broker lines whose reject is missing or carries another code than expected. */
  readonly rejectMismatches: number;
  readonly latencyMs: Omit<Percentiles, 'count'>;
  readonly throughputPerSec: number;
  readonly durationMs: number;
}

export interface MeasureClients {
  readonly dynamodb: DynamoDBClient;
  readonly kinesis: KinesisClient;
}

export interface MeasureNames {
  readonly viewTable: string;
  readonly rejectsTable: string;
  /** Both lanes' results streams: a sign-up's records are scored onto the history lane's. */
  readonly resultsStreams: readonly string[];
  /** Rejects stored before the run (a kept environment's earlier runs): not this run's, left out. */
  readonly rejectsBefore?: ReadonlySet<string>;
}

/** Read-limit answers (five GetRecords a second and 2 MiB/s per shard, as the fronts enforce them). */
const READ_THROTTLED: ReadonlySet<string> = new Set(['ProvisionedThroughputExceededException', 'LimitExceededException']);
/** A shard's read budget refills every second: wait that long after a refusal. */
const READ_BUDGET_MS = 1_000;

/** One GetRecords page, waiting out the shard's read limit: an audit reads a whole stream at once and meets it. */
async function readPage(kinesis: KinesisClient, iterator: string): Promise<GetRecordsCommandOutput> {
  for (;;) {
    try {
      return await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
    } catch (error) {
      if (!READ_THROTTLED.has((error as { name?: string }).name ?? '')) throw error;
      await new Promise((resolve) => setTimeout(resolve, READ_BUDGET_MS));
    }
  }
}

/** Distinct transaction ids on a stream, read from every shard's start (an audit, not a consumer). */
export async function distinctIdsOnStream(kinesis: KinesisClient, streamName: string): Promise<Set<string>> {
  const ids = new Set<string>();
  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? [];
  await Promise.all(
    shards.map(async (shard) => {
      let iterator = (await kinesis.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
      while (iterator) {
        const page = await readPage(kinesis, iterator);
        for (const record of page.Records ?? []) {
          for (const value of unpackScoredResults(record.Data ?? new Uint8Array()).values) {
            const id = (value as { transactionId?: unknown } | null)?.transactionId;
            if (typeof id === 'string') ids.add(id);
          }
        }
        if ((page.Records?.length ?? 0) === 0 && (page.MillisBehindLatest ?? 0) === 0) break;
        iterator = page.NextShardIterator;
      }
    }),
  );
  return ids;
}

/**
 * Transactions the view shows (the read model's collapse of every version), or only those among
 * `among` (a run's own on a kept environment). Cheap enough to poll for progress.
 */
export async function countInView(dynamodb: DynamoDBClient, tableName: string, among?: ReadonlyMap<string, unknown>): Promise<number> {
  const shown = await shownTransactionIds(dynamodb, tableName);
  if (among === undefined) return shown.size;
  let count = 0;
  for (const id of shown) if (among.has(id)) count += 1;
  return count;
}

/** What a run left behind, read back from the view, the reject store and the results stream. */
export interface RunObservation {
  readonly view: Pick<ViewContents, 'transactions' | 'totals'>;
  readonly rejectCodes: readonly string[];
  readonly scoredIds: ReadonlySet<string>;
}

/**
 * Measures a finished run against what it should have produced. Every figure comes from what the
 * run left behind, judged against `expected` (the broker's lines through the validation rules),
 * never derived from another measured figure: `accepted` is what the rules accept, `lost` the
 * accepted transactions the view does not show (so never negative, whatever else another producer
 * put on the stream), `rejectMismatches` the difference per code between the rejects stored and
 * those the rules expect (a valid line wrongly rejected counts here, not as 0 lost), and
 * `doubleCounted` the totals that differ from the sum of the accepted amounts they cover.
 */
export function summarizeRun(observed: RunObservation, expected: ExpectedOutcome, durationMs: number): RunSummary {
  const { view, rejectCodes, scoredIds } = observed;
  const inViewIds = new Set(view.transactions.map((t) => t.transactionId).filter((id) => expected.accepted.has(id)));

  // The totals the read model computes from the view, against sums of the accepted amounts: a
  // transaction counted twice, at a superseded version or after its removal makes them differ.
  const totalKey = (userId: string, month: string, category: string, currency: string): string => `${userId}\u0000${month}\u0000${category}\u0000${currency}`;
  const expectedTotals = new Map<string, { sumMinor: number; count: number }>();
  for (const txn of view.transactions) {
    const source = expected.accepted.get(txn.transactionId);
    // A transaction this run did not offer (an earlier run's on a kept environment) counts at what the view holds for it.
    const key = source === undefined ? totalKey(txn.userId, txn.month, txn.category, txn.amount.currency) : totalKey(source.userId, localMonth(source.bookedAt), txn.category, source.amount.currency);
    const minor = source === undefined ? txn.amount.minor : source.amount.minor;
    const before = expectedTotals.get(key) ?? { sumMinor: 0, count: 0 };
    expectedTotals.set(key, { sumMinor: before.sumMinor + minor, count: before.count + 1 });
  }
  let doubleCounted = 0;
  for (const total of view.totals) {
    const key = totalKey(total.userId, total.month, total.category, total.currency);
    const want = expectedTotals.get(key) ?? { sumMinor: 0, count: 0 };
    expectedTotals.delete(key);
    if (want.sumMinor !== total.sumMinor || want.count !== total.count) doubleCounted += 1;
  }
  doubleCounted += expectedTotals.size; // transactions counted in no total at all

  const countCodes = (codes: Iterable<string>): Record<string, number> => {
    const counts: Record<string, number> = {};
    for (const code of codes) counts[code] = (counts[code] ?? 0) + 1;
    return counts;
  };
  const rejectReasons = countCodes(rejectCodes);
  const expectedReasons = countCodes(expected.rejected.values());
  // Compared as counts per code: every expected reject present with its code, and no others.
  let rejectMismatches = 0;
  for (const code of new Set([...Object.keys(expectedReasons), ...Object.keys(rejectReasons)])) {
    rejectMismatches += Math.abs((expectedReasons[code] ?? 0) - (rejectReasons[code] ?? 0));
  }

  // Latency and throughput of the broker's transactions only: another producer's records say nothing about this run.
  const offeredInView = view.transactions.filter((t) => expected.accepted.has(t.transactionId));
  const latencies = offeredInView.map((t) => Date.parse(t.viewedAt) - Date.parse(t.ingestedAt));
  const firstIngest = Math.min(...offeredInView.map((t) => Date.parse(t.ingestedAt)));
  const lastView = Math.max(...offeredInView.map((t) => Date.parse(t.viewedAt)));
  const { count: _count, ...latencyMs } = percentiles(latencies);
  const rejected = rejectCodes.length;
  const accepted = expected.accepted.size;
  return {
    offered: expected.offered,
    accepted,
    rejected,
    rejectReasons,
    deduplicated: expected.deduplicated,
    scored: [...scoredIds].filter((id) => expected.accepted.has(id)).length,
    inView: inViewIds.size,
    lost: accepted - inViewIds.size,
    notOffered: new Set(view.transactions.map((t) => t.transactionId).filter((id) => !expected.accepted.has(id))).size,
    doubleCounted,
    rejectMismatches,
    latencyMs,
    throughputPerSec: inViewIds.size > 0 && lastView > firstIngest ? Math.round((inViewIds.size * 1000) / (lastView - firstIngest)) : 0,
    durationMs: Math.round(durationMs),
  };
}

/** Reads back what a finished run left behind and measures it (see `summarizeRun`). */
export async function measureRun(clients: MeasureClients, names: MeasureNames, expected: ExpectedOutcome, durationMs: number): Promise<RunSummary> {
  const [view, rejects, scoredIds] = await Promise.all([
    scanView(clients.dynamodb, names.viewTable),
    new RejectStore({ dynamodb: clients.dynamodb, tableName: names.rejectsTable }).list(),
    Promise.all(names.resultsStreams.map((stream) => distinctIdsOnStream(clients.kinesis, stream))).then((sets) => new Set(sets.flatMap((ids) => [...ids]))),
  ]);
  const own = rejects.filter((r) => !(names.rejectsBefore?.has(r.rejectId) ?? false));
  return summarizeRun({ view, rejectCodes: own.map((r) => r.code), scoredIds }, expected, durationMs);
}
