import { expect } from 'chai';
import type { ShardInfo } from '../../../shared/kinesis/shard-graph.js';
import { generations, parentsFirst, planNewLeases } from '../../../shared/kinesis/shard-graph.js';

// A split of s0 into s1 and s2, then a merge of s1 and s2 into s3; s4 is an unrelated open shard.
const SHARDS: ShardInfo[] = [
  { shardId: 's3', parentShardIds: ['s1', 's2'], closed: false },
  { shardId: 's1', parentShardIds: ['s0'], closed: true },
  { shardId: 's2', parentShardIds: ['s0'], closed: true },
  { shardId: 's0', parentShardIds: [], closed: true },
  { shardId: 's4', parentShardIds: [], closed: false },
];

describe('Function: parentsFirst', () => {
  it('orders every parent before its children', () => {
    // Act
    const order = parentsFirst(SHARDS).map((s) => s.shardId);

    // Assess
    expect(order.indexOf('s0')).to.be.lessThan(order.indexOf('s1'));
    expect(order.indexOf('s2')).to.be.lessThan(order.indexOf('s3'));
    expect(order.indexOf('s1')).to.be.lessThan(order.indexOf('s3'));
  });
});

describe('Function: planNewLeases', () => {
  it('with TRIM_HORIZON creates a lease for every shard, parents first, with their parents', () => {
    // Act
    const planned = planNewLeases(SHARDS, new Set(), 'TRIM_HORIZON');

    // Assess
    expect(planned.map((l) => l.leaseKey)).to.have.members(['s0', 's1', 's2', 's3', 's4']);
    expect(planned.every((l) => l.checkpoint === 'TRIM_HORIZON')).to.equal(true);
    expect(planned.find((l) => l.leaseKey === 's3')?.parentShardIds).to.deep.equal(['s1', 's2']);
  });

  it('with LATEST skips closed shards and starts open ones at LATEST', () => {
    // Act
    const planned = planNewLeases(SHARDS, new Set(), 'LATEST');

    // Assess
    expect(planned).to.deep.equal([
      { leaseKey: 's3', checkpoint: 'LATEST', parentShardIds: ['s1', 's2'] },
      { leaseKey: 's4', checkpoint: 'LATEST', parentShardIds: [] },
    ]);
  });

  it('starts a child of a leased parent at TRIM_HORIZON even with LATEST, so nothing after a reshard is skipped', () => {
    // Act
    const planned = planNewLeases(SHARDS, new Set(['s0', 's4']), 'LATEST');

    // Assess
    expect(planned.map((l) => [l.leaseKey, l.checkpoint])).to.deep.equal([
      ['s1', 'TRIM_HORIZON'],
      ['s2', 'TRIM_HORIZON'],
      ['s3', 'TRIM_HORIZON'],
    ]);
  });
});

describe('Function: generations', () => {
  it('groups planned leases so that each group only has parents in earlier groups', () => {
    // Act
    const groups = generations(planNewLeases(SHARDS, new Set(), 'TRIM_HORIZON')).map((g) => g.map((l) => l.leaseKey).sort());

    // Assess
    expect(groups).to.deep.equal([['s0', 's4'], ['s1', 's2'], ['s3']]);
  });
});
