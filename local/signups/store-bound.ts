import type { TableUnits } from '../env/front/limits/capacity-report.js';

export interface StoreBoundInput {
  /** WRU per table over the phase, as the fronts counted them (the stack's items are under 1 KB, so one WRU is one item written). */
  readonly spent: Readonly<Record<string, TableUnits>>;
  /** Live and history transactions of the phase. */
  readonly transactions: number;
  readonly historyTransactions: number;
  /** The store's plain `BatchWriteItem` items/s with the machine to itself, measured in the same run. */
  readonly ceilingPerSecond: number;
  /** The live feed: `records` offered at `perSecond` from `fromMs` (epoch ms). */
  readonly live: { readonly perSecond: number; readonly fromMs: number; readonly records: number };
  /** When each sign-up linked (epoch ms). */
  readonly linkedAtMs: readonly number[];
  /** Sign-up target (time to insight) and live target (ingest → view), ms. */
  readonly signupTargetMs: number;
  readonly liveTargetMs: number;
}

/** What meeting both of the phase's targets would ask of the store. */
export interface StoreBound {
  readonly writesPerTransaction: number;
  readonly ceilingPerSecond: number;
  /** From the first link to the last sign-up's deadline (its link plus the sign-up target). */
  readonly windowMs: number;
  readonly historyWrites: number;
  /** Writes of the live records offered from the first link until `liveTargetMs` before the window ends: on time, they are in the view within it. */
  readonly liveWrites: number;
  /** Writes per second the store would have to take over the window. */
  readonly neededPerSecond: number;
}

/**
 * A floor no worker change can lower, in the phase's own figures: if the slowest sign-up is whole
 * within the target, every history's item writes (ledger claim and view version, as many as a live
 * record's) happen between the first link and the last link plus the target; if live keeps its
 * target, the live records offered in that window (but its last `liveTargetMs`) are written in it
 * too (99 % of them, what a p99 allows). Both together need `neededPerSecond` of the store. A
 * floor only: reads cost the store too, and it shares the cores with everything else.
 */
export function storeBound(input: StoreBoundInput): StoreBound {
  if (input.linkedAtMs.length === 0) throw new RangeError('storeBound: no sign-up linked, so there is no window to bound (linkedAtMs is empty)');
  const wru = Object.values(input.spent).reduce((sum, table) => sum + table.wru, 0);
  const writesPerTransaction = wru / Math.max(1, input.transactions);
  const firstLink = Math.min(...input.linkedAtMs);
  const windowEnd = Math.max(...input.linkedAtMs) + input.signupTargetMs;
  const liveEnd = input.live.fromMs + (input.live.records / Math.max(1e-9, input.live.perSecond)) * 1000;
  const liveOfferedMs = Math.max(0, Math.min(liveEnd, windowEnd - input.liveTargetMs) - Math.max(input.live.fromMs, firstLink));
  const liveWrites = 0.99 * (liveOfferedMs / 1000) * input.live.perSecond * writesPerTransaction;
  const historyWrites = input.historyTransactions * writesPerTransaction;
  const windowMs = windowEnd - firstLink;
  return {
    writesPerTransaction: Math.round(writesPerTransaction * 100) / 100,
    ceilingPerSecond: input.ceilingPerSecond,
    windowMs: Math.round(windowMs),
    historyWrites: Math.round(historyWrites),
    liveWrites: Math.round(liveWrites),
    neededPerSecond: Math.round((historyWrites + liveWrites) / Math.max(0.001, windowMs / 1000)),
  };
}

/** The bound as a report line; "out of reach" only where the bound covers the p95 (19 sign-ups or fewer: nearest rank makes it the slowest). */
export function storeBoundLine(bound: StoreBound, signups: number): string {
  const outOfReach = signups <= 19 && bound.neededPerSecond > bound.ceilingPerSecond;
  return (
    `store bound: both targets need the histories' ${bound.historyWrites} item writes and live's ${bound.liveWrites} within ${bound.windowMs} ms of the first link, ` +
    `${bound.neededPerSecond} writes/s against the ${bound.ceilingPerSecond}/s the store takes on this machine (plain BatchWriteItem, measured before the phase; ` +
    `${bound.writesPerTransaction} item writes per transaction as DynamoDB reported them)${outOfReach ? ': out of reach on this machine whatever the workers do' : ''}`
  );
}
