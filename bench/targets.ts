/**
 * What the pipeline works towards (issues 8 and 12), shown beside each figure. Ratios hold on a
 * noisy machine where absolute rates do not: the end-to-end rate is judged against the store's
 * own ceiling measured in the same run, and per-role costs are counted in CPU seconds of each
 * process, not wall time.
 */
export const TARGETS = {
  /** End-to-end records/s at least this share of DynamoDB Local's plain BatchWriteItem items/s (issue 12, item 2). */
  endToEndShareOfStore: 0.5,
  /** At 1,000 records/s per shard (a real shard's write limit), on one shard and on two (issue 12, item 4). */
  latencyAtFullShard: { perShard: 1000, p50Ms: 300, p99Ms: 1000 },
  /** Write capacity per record into the view, as DynamoDB reports it consumed (issue 12, item 1). */
  viewWruPerRecord: 2,
  /** Peak resident memory per role, MiB (issue 12, item 5; the scorer's while draining a backlog). */
  peakRssMiB: { 'stream-reader': 200, scorer: 300 } as Readonly<Record<string, number>>,
  /** Records per CPU second of each role's process on a backlog (issue 12, item 3); the scorer with one inference thread. */
  recordsPerCpuSecond: { crawler: 20_000, 'stream-reader': 20_000, projector: 20_000, scorer: 30_000 } as Readonly<Record<string, number>>,
  /** The shard consumer library's records per CPU second, as a share of a bare GetRecords loop's on the same records. */
  consumerShareOfBareGetRecords: 0.8,
  /** Transactions per second at which the view must fit DynamoDB's default table quota (issue 12, item 6). */
  viewWithinQuotaAt: 10_000,
} as const;
