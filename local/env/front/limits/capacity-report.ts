import type { FrontsStats } from '../fronts.js';
import type { TableCapacity } from './dynamodb-capacity.js';

/** WRU and RRU one table consumed, in all and per role. */
export interface TableUnits {
  readonly wru: number;
  readonly rru: number;
  readonly roles: Readonly<Record<string, { readonly wru: number; readonly rru: number }>>;
}

/** One shard's reads as the Kinesis front counted them. */
export interface ShardReads {
  /** `<stream>/<shardId>` */
  readonly shard: string;
  readonly getRecordsCalls: number;
  /** Over the span between the shard's first and last call. */
  readonly getRecordsCallsPerSecond: number;
  /** Most calls within any one second. */
  readonly peakCallsPerSecond: number;
  readonly throttledReads: number;
  readonly throttledRecords: number;
}

/** Capacity per table from the fronts' figures (`fronts.stats()` or `FrontsHandle.stats()`). */
export function capacityOf(stats: FrontsStats): Record<string, TableUnits> {
  const tables: Record<string, TableUnits> = {};
  for (const front of stats.fronts) {
    const counted = (front.middlewares['dynamodbCapacity']?.['tables'] ?? {}) as Record<string, TableCapacity>;
    for (const [name, t] of Object.entries(counted)) tables[name] = { wru: t.wru, rru: t.rru, roles: t.roles };
  }
  return tables;
}

/** What was consumed between two readings (a bench phase): `after - before`, per table and role. */
export function capacityDelta(before: Readonly<Record<string, TableUnits>>, after: Readonly<Record<string, TableUnits>>): Record<string, TableUnits> {
  const delta: Record<string, TableUnits> = {};
  for (const [name, a] of Object.entries(after)) {
    const b = before[name];
    const roles: Record<string, { wru: number; rru: number }> = {};
    for (const [role, r] of Object.entries(a.roles)) roles[role] = { wru: r.wru - (b?.roles[role]?.wru ?? 0), rru: r.rru - (b?.roles[role]?.rru ?? 0) };
    delta[name] = { wru: a.wru - (b?.wru ?? 0), rru: a.rru - (b?.rru ?? 0), roles };
  }
  return delta;
}

/**
 * One line per table: WRU and RRU per transaction (`transactions` > 0), and who spent them.
 *
 * @example
 * const before = capacityOf(await env.front.stats());
 * // ... a bench phase of n transactions ...
 * console.log(describeCapacity(capacityDelta(before, capacityOf(await env.front.stats())), n));
 * //   realtime-insights-bench-view: 1.00 WRU, 0.00 RRU per transaction (projector 1.00 WRU)
 */
export function describeCapacity(units: Readonly<Record<string, TableUnits>>, transactions: number): string {
  const per = (n: number): string => (n / Math.max(1, transactions)).toFixed(2);
  return Object.entries(units)
    .filter(([, t]) => t.wru > 0 || t.rru > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, t]) => {
      const roles = Object.entries(t.roles)
        .filter(([, r]) => r.wru > 0 || r.rru > 0)
        .map(([role, r]) => `${role} ${per(r.wru)} WRU ${per(r.rru)} RRU`)
        .join(', ');
      return `  ${name}: ${per(t.wru)} WRU, ${per(t.rru)} RRU per transaction (${roles})`;
    })
    .join('\n');
}

/** GetRecords calls per shard from the fronts' figures, with throttled reads and writes. */
export function shardReadsOf(stats: FrontsStats): ShardReads[] {
  return stats.fronts.flatMap((front) => {
    const shards = (front.middlewares['kinesisLimits']?.['shards'] ?? {}) as Record<string, Record<string, number>>;
    return Object.entries(shards).map(([shard, s]) => ({
      shard,
      getRecordsCalls: s['getRecordsCalls'] ?? 0,
      getRecordsCallsPerSecond: s['getRecordsCallsPerSecond'] ?? 0,
      peakCallsPerSecond: s['peakCallsPerSecond'] ?? 0,
      throttledReads: s['throttledReads'] ?? 0,
      throttledRecords: s['throttledRecords'] ?? 0,
    }));
  });
}
