import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { TABLES } from '../catalog.js';

/**
 * One shard's lease as stored in the lease table (KCL's shape). Every write increments
 * `counter` and is conditional on the counter (and owner) the writer last saw, so two workers can
 * never both believe a write of theirs won.
 */
export interface Lease {
  /** The shard id. */
  readonly leaseKey: string;
  /** Absent when the lease is free (never taken, released on close, or its shard ended). */
  readonly owner: string | undefined;
  readonly counter: number;
  /** A sequence number, or TRIM_HORIZON / LATEST (nothing done yet), or SHARD_END. */
  readonly checkpoint: string;
  readonly checkpointSubSequenceNumber: number;
  /** Shards that must reach SHARD_END before this one is read. */
  readonly parentShardIds: readonly string[];
  /** Owner changes since the last checkpoint: a high value means a shard keeps failing over. */
  readonly ownerSwitchesSinceCheckpoint: number;
}

/**
 * Attribute names in the table. Key names come from the catalog; the others are KCL's. Every
 * expression aliases them (`#owner`): DynamoDB reserves many plain words, and aliasing all of
 * them means none can slip through.
 */
export const LeaseAttribute = {
  application: TABLES.leases.partitionKey.name,
  leaseKey: TABLES.leases.sortKey.name,
  streamName: 'streamName',
  owner: 'leaseOwner',
  counter: 'leaseCounter',
  checkpoint: 'checkpoint',
  subSequence: 'checkpointSubSequenceNumber',
  parents: 'parentShardIds',
  ownerSwitches: 'ownerSwitchesSinceCheckpoint',
} as const;

/**
 * Worker heartbeats share the table: `leaseKey` = `worker#<workerId>`, `leaseCounter` bumped at
 * every renewal. They let a worker that holds no lease count in the others' fair share (KCL 3
 * keeps worker state in a table of its own for the same reason). Shard ids never start so.
 */
export const WORKER_KEY_PREFIX = 'worker#';

export interface WorkerBeat {
  readonly workerId: string;
  readonly counter: number;
}

export function isWorkerKey(leaseKey: string): boolean {
  return leaseKey.startsWith(WORKER_KEY_PREFIX);
}

type Item = Record<string, AttributeValue>;

function str(item: Item, name: string): string | undefined {
  return item[name]?.S;
}

function num(item: Item, name: string): number {
  const n = item[name]?.N;
  return n === undefined ? 0 : Number(n);
}

export function leaseFromItem(item: Item): Lease {
  const leaseKey = str(item, LeaseAttribute.leaseKey);
  if (leaseKey === undefined) throw new Error(`lease item without ${LeaseAttribute.leaseKey}`);
  const parents = item[LeaseAttribute.parents];
  return {
    leaseKey,
    owner: str(item, LeaseAttribute.owner),
    counter: num(item, LeaseAttribute.counter),
    checkpoint: str(item, LeaseAttribute.checkpoint) ?? 'TRIM_HORIZON',
    checkpointSubSequenceNumber: num(item, LeaseAttribute.subSequence),
    // A list, not a string set: a set cannot be empty and most shards have no parent.
    parentShardIds: (parents?.L ?? []).flatMap((v) => (v.S === undefined ? [] : [v.S])).concat(parents?.SS ?? []),
    ownerSwitchesSinceCheckpoint: num(item, LeaseAttribute.ownerSwitches),
  };
}

export function leaseToItem(application: string, streamName: string, lease: Lease): Item {
  const item: Item = {
    [LeaseAttribute.application]: { S: application },
    [LeaseAttribute.leaseKey]: { S: lease.leaseKey },
    [LeaseAttribute.streamName]: { S: streamName },
    [LeaseAttribute.counter]: { N: String(lease.counter) },
    [LeaseAttribute.checkpoint]: { S: lease.checkpoint },
    [LeaseAttribute.subSequence]: { N: String(lease.checkpointSubSequenceNumber) },
    [LeaseAttribute.parents]: { L: lease.parentShardIds.map((id) => ({ S: id })) },
    [LeaseAttribute.ownerSwitches]: { N: String(lease.ownerSwitchesSinceCheckpoint) },
  };
  if (lease.owner !== undefined) item[LeaseAttribute.owner] = { S: lease.owner };
  return item;
}
