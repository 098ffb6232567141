import { SentinelCheckpoint } from './constants.js';
import type { Lease } from './lease.js';

/**
 * Decides which leases a worker takes in one pass, KCL's way: take free and expired leases up
 * to a fair share; when none is left, steal at most one from the worker holding the most.
 * Pure, so every case is unit-tested.
 */

/** What this worker knows about one unfinished lease. */
export const LeaseStatus = {
  /** Held by this worker now. */
  HELD: 'held',
  /** Owned by another worker that renewed it within the failover time. */
  OWNED: 'owned',
  /** Free, expired, or owned by this worker's id but not held (left by a previous process). */
  AVAILABLE: 'available',
} as const;
export type LeaseStatus = (typeof LeaseStatus)[keyof typeof LeaseStatus];

export interface ClassifiedLease {
  readonly lease: Lease;
  readonly status: LeaseStatus;
}

export interface BalanceDecision {
  /** This worker's fair share. */
  readonly target: number;
  /** How many leases to take this pass. */
  readonly needed: number;
  /** Available leases to try in order, until `needed` are taken (another worker may win some). */
  readonly candidates: readonly Lease[];
  /** One lease to steal, when nothing is available and another worker holds too many. */
  readonly steal: Lease | undefined;
}

/**
 * Watches each lease's counter. A lease is expired when its counter has not changed for the
 * failover time by this worker's clock, so no two clocks need to agree (KCL does the same).
 */
export class ExpiryTracker {
  private readonly seen = new Map<string, { counter: number; owner: string | undefined; since: number }>();

  public observe(leases: readonly Lease[], now: number): void {
    const keys = new Set<string>();
    for (const lease of leases) {
      keys.add(lease.leaseKey);
      const last = this.seen.get(lease.leaseKey);
      if (last === undefined || last.counter !== lease.counter || last.owner !== lease.owner) {
        this.seen.set(lease.leaseKey, { counter: lease.counter, owner: lease.owner, since: now });
      }
    }
    for (const key of this.seen.keys()) if (!keys.has(key)) this.seen.delete(key);
  }

  public isExpired(lease: Lease, now: number, failoverTimeMs: number): boolean {
    const last = this.seen.get(lease.leaseKey);
    return last !== undefined && last.counter === lease.counter && now - last.since > failoverTimeMs;
  }
}

export function isFinished(lease: Lease): boolean {
  return lease.checkpoint === SentinelCheckpoint.SHARD_END;
}

/**
 * Classifies each lease that can be worked on for `chooseLeases`. Finished leases are left out,
 * and so are leases whose parents have not finished (unless held already): taking them early
 * would only count them in the balance, and a steal right after the parent ends would hand their
 * first records over twice. A parent without a lease counts as finished.
 */
export function classifyLeases(
  leases: readonly Lease[],
  workerId: string,
  held: ReadonlySet<string>,
  tracker: ExpiryTracker,
  now: number,
  failoverTimeMs: number,
): ClassifiedLease[] {
  const byKey = new Map(leases.map((l) => [l.leaseKey, l]));
  const ready = (lease: Lease): boolean => lease.parentShardIds.every((id) => {
    const parent = byKey.get(id);
    return parent === undefined || isFinished(parent);
  });
  return leases
    .filter((lease) => !isFinished(lease) && (held.has(lease.leaseKey) || ready(lease)))
    .map((lease) => {
      if (held.has(lease.leaseKey)) return { lease, status: LeaseStatus.HELD };
      if (lease.owner === undefined || lease.owner === workerId || tracker.isExpired(lease, now, failoverTimeMs)) {
        return { lease, status: LeaseStatus.AVAILABLE };
      }
      return { lease, status: LeaseStatus.OWNED };
    });
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/**
 * @param liveWorkers workers known alive by their heartbeat, holding leases or not; owners of
 *   unexpired leases count as alive anyway
 */
export function chooseLeases(
  leases: readonly ClassifiedLease[],
  workerId: string,
  maxLeasesPerWorker: number,
  random: () => number = Math.random,
  liveWorkers: Iterable<string> = [],
): BalanceDecision {
  const counts = new Map<string, number>([[workerId, 0]]);
  for (const worker of liveWorkers) counts.set(worker, 0);
  for (const { lease, status } of leases) {
    if (status === LeaseStatus.HELD) counts.set(workerId, (counts.get(workerId) ?? 0) + 1);
    else if (status === LeaseStatus.OWNED && lease.owner !== undefined) counts.set(lease.owner, (counts.get(lease.owner) ?? 0) + 1);
  }
  const mine = counts.get(workerId) ?? 0;
  const target = leases.length === 0 ? 0 : Math.min(maxLeasesPerWorker, Math.ceil(leases.length / counts.size));
  const needed = Math.max(0, target - mine);
  const none: BalanceDecision = { target, needed: 0, candidates: [], steal: undefined };
  if (needed === 0) return none;

  const available = leases.filter((l) => l.status === LeaseStatus.AVAILABLE).map((l) => l.lease);
  if (available.length > 0) {
    // Our own leases from a previous process first: nobody else is waiting for them. The rest
    // in random order, so workers taking at the same time rarely race for the same lease.
    const own = available.filter((l) => l.owner === workerId);
    const others = shuffle(available.filter((l) => l.owner !== workerId), random);
    return { target, needed: Math.min(needed, available.length), candidates: [...own, ...others], steal: undefined };
  }

  let victim: string | undefined;
  let most = 0;
  for (const [owner, count] of counts) {
    if (owner !== workerId && (count > most || (count === most && victim !== undefined && owner < victim))) {
      victim = owner;
      most = count;
    }
  }
  // Steal when the victim is over the share, or two or more ahead of us (7 leases on 3 workers:
  // 3-3-1 becomes 3-2-2). Each steal narrows the spread, so leases never ping-pong.
  if (victim === undefined || !(most > target || most - mine > 1)) return none;
  const theirs = leases.filter((l) => l.status === LeaseStatus.OWNED && l.lease.owner === victim).map((l) => l.lease);
  const steal = shuffle(theirs, random)[0];
  return { target, needed: 1, candidates: [], steal };
}
