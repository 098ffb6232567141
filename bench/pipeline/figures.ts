import { percentiles } from '../../local/runner/stats.js';
import type { Percentiles } from '../../local/runner/stats.js';
import { latencyMs } from '../../shared/view/version.js';
import type { LiveVersion } from '../../shared/view/version.js';

type Timed = Pick<LiveVersion, 'ingestedAt' | 'viewedAt'>;

/** Records per second into the view: the items over the span from the first ingest to the last write. */
export function viewThroughput(items: readonly Timed[]): number {
  if (items.length === 0) return 0;
  const first = Math.min(...items.map((t) => Date.parse(t.ingestedAt)));
  const last = Math.max(...items.map((t) => Date.parse(t.viewedAt)));
  return last > first ? Math.round((items.length * 1000) / (last - first)) : 0;
}

/** Ingest-to-view latency of the items, ms. */
export function latencies(items: readonly Timed[]): number[] {
  return items.map(latencyMs);
}

export function latencyPercentiles(items: readonly Timed[]): Percentiles {
  return percentiles(latencies(items));
}

/** Items that reached the view in each second from `startMs` (epoch ms), for the throughput chart. */
export function arrivalsPerSecond(items: readonly Timed[], startMs: number, endMs: number): number[] {
  const seconds = Math.max(1, Math.ceil((endMs - startMs) / 1000));
  const buckets = new Array<number>(seconds).fill(0);
  for (const item of items) {
    const index = Math.floor((Date.parse(item.viewedAt) - startMs) / 1000);
    if (index >= 0 && index < seconds) buckets[index] = (buckets[index] ?? 0) + 1;
  }
  return buckets;
}

/** The two halves of the latency, from timestamps every live view item carries (no extra writes). */
export interface HopPercentiles {
  /** Crawler put → raw stream → stream-reader read → BullMQ job → inference (`scoredAt − ingestedAt`). */
  readonly ingestToScoredMs: Percentiles;
  /** Results put → projector read → view write (`viewedAt − scoredAt`). */
  readonly scoredToViewMs: Percentiles;
}

/** Ingest-to-view latency split at the scorer, so each polled hop's share shows beside the whole. */
export function hopPercentiles(items: readonly Pick<LiveVersion, 'ingestedAt' | 'scoredAt' | 'viewedAt'>[]): HopPercentiles {
  return {
    ingestToScoredMs: percentiles(items.map((t) => Date.parse(t.scoredAt) - Date.parse(t.ingestedAt))),
    scoredToViewMs: percentiles(items.map((t) => Date.parse(t.viewedAt) - Date.parse(t.scoredAt))),
  };
}
