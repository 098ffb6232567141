/**
 * What the pipeline works towards (issue 8), shown beside each figure. Ratios hold on a noisy
 * machine where absolute rates do not: the end-to-end rate is judged against the slowest ceiling
 * measured in the same run.
 */
export const TARGETS = {
  /** End-to-end records/s at least this share of the lowest ceiling on its path. */
  endToEndShareOfCeiling: 0.5,
  /** At 1,000 records/s per shard (a real shard's write limit). */
  latencyAtFullShard: { perShard: 1000, p50Ms: 250, p99Ms: 1000 },
  /** Write capacity per record into the view, as DynamoDB reports it consumed (issue 12). */
  viewWruPerRecord: 2,
  /** Peak resident memory per role, MiB. */
  peakRssMiB: { 'stream-reader': 200, scorer: 300 } as Readonly<Record<string, number>>,
} as const;
