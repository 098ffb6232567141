import type { ChildShard, Shard } from '@aws-sdk/client-kinesis';
import { InitialPosition, SentinelCheckpoint } from './constants.js';

/** Which leases to create for which shards, and where each starts. Pure. */

export interface ShardInfo {
  readonly shardId: string;
  /** Parent and adjacent parent (after a merge), when the stream still lists them or not. */
  readonly parentShardIds: readonly string[];
  /** Has an ending sequence number: split, merged, or otherwise closed. */
  readonly closed: boolean;
}

export interface NewLease {
  readonly leaseKey: string;
  readonly checkpoint: string;
  readonly parentShardIds: readonly string[];
}

export function shardInfo(shard: Shard): ShardInfo {
  if (shard.ShardId === undefined) throw new Error('ListShards returned a shard without ShardId');
  return {
    shardId: shard.ShardId,
    parentShardIds: [shard.ParentShardId, shard.AdjacentParentShardId].filter((id): id is string => id !== undefined && id !== ''),
    closed: shard.SequenceNumberRange?.EndingSequenceNumber !== undefined,
  };
}

/** GetRecords' `ChildShards` at the end of a shard: open children whose leases start at TRIM_HORIZON. */
export function childShardInfo(child: ChildShard): ShardInfo {
  if (child.ShardId === undefined) throw new Error('GetRecords returned a child shard without ShardId');
  return { shardId: child.ShardId, parentShardIds: child.ParentShards ?? [], closed: false };
}

/** Parents before children, whatever order the shards came in. */
export function parentsFirst(shards: readonly ShardInfo[]): ShardInfo[] {
  const byId = new Map(shards.map((s) => [s.shardId, s]));
  const ordered: ShardInfo[] = [];
  const visited = new Set<string>();
  const visit = (shard: ShardInfo): void => {
    if (visited.has(shard.shardId)) return;
    visited.add(shard.shardId);
    for (const parentId of shard.parentShardIds) {
      const parent = byId.get(parentId);
      if (parent !== undefined) visit(parent);
    }
    ordered.push(shard);
  };
  for (const shard of shards) visit(shard);
  return ordered;
}

/**
 * Leases for shards that have none, parents first, so that by the time a child's lease exists its
 * parents' leases do too. A child of a leased parent starts at TRIM_HORIZON whatever the initial
 * position (it holds records written after the parent closed; none may be skipped). Otherwise the
 * initial position applies, and with LATEST a closed shard gets no lease: it holds only the past.
 * A parent without a lease counts as finished when the child is read (see `isParentFinished`).
 */
export function planNewLeases(shards: readonly ShardInfo[], existing: ReadonlySet<string>, initialPosition: InitialPosition): NewLease[] {
  const leased = new Set(existing);
  const planned: NewLease[] = [];
  for (const shard of parentsFirst(shards)) {
    if (leased.has(shard.shardId)) continue;
    let checkpoint: string;
    if (shard.parentShardIds.some((id) => leased.has(id))) checkpoint = SentinelCheckpoint.TRIM_HORIZON;
    else if (initialPosition === InitialPosition.TRIM_HORIZON) checkpoint = SentinelCheckpoint.TRIM_HORIZON;
    else if (shard.closed) continue;
    else checkpoint = SentinelCheckpoint.LATEST;
    leased.add(shard.shardId);
    planned.push({ leaseKey: shard.shardId, checkpoint, parentShardIds: shard.parentShardIds });
  }
  return planned;
}

/**
 * Splits leases planned parents-first into generations: a lease's generation is one more than
 * its latest planned parent's, so each generation can be created at once after the previous.
 */
export function generations(planned: readonly NewLease[]): NewLease[][] {
  const depth = new Map<string, number>();
  const result: NewLease[][] = [];
  for (const lease of planned) {
    const d = Math.max(-1, ...lease.parentShardIds.map((id) => depth.get(id) ?? -1)) + 1;
    depth.set(lease.leaseKey, d);
    (result[d] ??= []).push(lease);
  }
  return result;
}
