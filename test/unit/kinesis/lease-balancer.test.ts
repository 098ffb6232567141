import { expect } from 'chai';
import type { Lease } from '../../../shared/kinesis/index.js';
import type { ClassifiedLease, LeaseStatus } from '../../../shared/kinesis/lease-balancer.js';
import { ExpiryTracker, chooseLeases, classifyLeases } from '../../../shared/kinesis/lease-balancer.js';

function lease(leaseKey: string, owner?: string, counter = 1, checkpoint = 'TRIM_HORIZON'): Lease {
  return { leaseKey, owner, counter, checkpoint, checkpointSubSequenceNumber: 0, parentShardIds: [], ownerSwitchesSinceCheckpoint: 0 };
}

/** `{ me: 2, w2: 3, free: 1 }` → classified leases as this worker would see them. */
function world(counts: Record<string, number>): ClassifiedLease[] {
  const result: ClassifiedLease[] = [];
  for (const [who, n] of Object.entries(counts)) {
    for (let i = 0; i < n; i++) {
      const status: LeaseStatus = who === 'me' ? 'held' : who === 'free' ? 'available' : 'owned';
      result.push({ lease: lease(`${who}-${i}`, who === 'free' ? undefined : who), status });
    }
  }
  return result;
}

const first = () => 0;

describe('Function: chooseLeases', () => {
  it('takes every free lease when it is the only worker', () => {
    // Act
    const decision = chooseLeases(world({ free: 6 }), 'me', Infinity, first);

    // Assess
    expect(decision).to.include({ target: 6, needed: 6, steal: undefined });
    expect(decision.candidates).to.have.length(6);
  });

  it('takes free leases only up to a fair share', () => {
    // Act
    const decision = chooseLeases(world({ w2: 2, free: 4 }), 'me', Infinity, first);

    // Assess
    expect(decision).to.include({ target: 3, needed: 3 });
  });

  it('steals one lease from the most loaded worker when it is over the share', () => {
    // Act
    const decision = chooseLeases(world({ w2: 4, w3: 2 }), 'me', Infinity, first);

    // Assess
    expect(decision.target).to.equal(2);
    expect(decision.needed).to.equal(1);
    expect(decision.steal?.owner).to.equal('w2');
  });

  it('steals from a worker two ahead even at the share (7 on 3: 3-3-1)', () => {
    // Act
    const decision = chooseLeases(world({ me: 1, w2: 3, w3: 3 }), 'me', Infinity, first);

    // Assess
    expect(decision.steal?.owner).to.equal('w2');
  });

  it('does nothing when the spread is one lease (5 on 3: 2-2-1), so leases never ping-pong', () => {
    // Act
    const decision = chooseLeases(world({ me: 1, w2: 2, w3: 2 }), 'me', Infinity, first);

    // Assess
    expect(decision).to.deep.equal({ target: 2, needed: 0, candidates: [], steal: undefined });
  });

  it('does nothing at its share', () => {
    // Act
    const decision = chooseLeases(world({ me: 2, w2: 2, w3: 2 }), 'me', Infinity, first);

    // Assess
    expect(decision.needed).to.equal(0);
  });

  it('counts live workers that hold no lease yet in the share', () => {
    // Act
    const decision = chooseLeases(world({ free: 2 }), 'me', Infinity, first, ['idle-worker']);

    // Assess
    expect(decision).to.include({ target: 1, needed: 1 });
  });

  it('respects maxLeasesPerWorker', () => {
    // Act
    const decision = chooseLeases(world({ free: 10 }), 'me', 3, first);

    // Assess
    expect(decision).to.include({ target: 3, needed: 3 });
  });

  it("tries its own leases from a previous process first", () => {
    // Prepare
    const leases: ClassifiedLease[] = [{ lease: lease('a'), status: 'available' }, { lease: lease('b', 'me'), status: 'available' }];

    // Act
    const decision = chooseLeases(leases, 'me', Infinity, () => 0.99);

    // Assess
    expect(decision.candidates[0]?.leaseKey).to.equal('b');
  });
});

describe('Function: classifyLeases', () => {
  it('treats a lease as expired only after its counter stood still for the failover time, by our clock', () => {
    // Prepare
    const tracker = new ExpiryTracker();
    const seen = [lease('s-1', 'w2', 5), lease('s-2', 'w2', 5), lease('s-3', undefined, 0), lease('s-4', 'w2', 1, 'SHARD_END')];
    tracker.observe(seen, 0);
    tracker.observe([lease('s-1', 'w2', 5), lease('s-2', 'w2', 6), seen[2]!, seen[3]!], 900);

    // Act
    const early = classifyLeases(seen, 'me', new Set(), tracker, 1_000, 1_000).map((c) => c.status);
    const late = classifyLeases([lease('s-1', 'w2', 5), lease('s-2', 'w2', 6), seen[2]!], 'me', new Set(), tracker, 1_001, 1_000).map((c) => c.status);

    // Assess
    expect(early).to.deep.equal(['owned', 'owned', 'available']);
    expect(late).to.deep.equal(['available', 'owned', 'available']);
  });

  it('leaves out finished leases and children whose parents have not finished, unless held', () => {
    // Prepare
    const parent = lease('p', 'w2', 3);
    const child = { ...lease('c'), parentShardIds: ['p'] };
    const heldChild = { ...lease('h', 'me'), parentShardIds: ['p'] };
    const orphan = { ...lease('o'), parentShardIds: ['gone'] };
    const done = lease('d', undefined, 9, 'SHARD_END');
    const doneChild = { ...lease('dc'), parentShardIds: ['d'] };
    const tracker = new ExpiryTracker();

    // Act
    const keys = classifyLeases([parent, child, heldChild, orphan, done, doneChild], 'me', new Set(['h']), tracker, 0, 1_000).map((c) => c.lease.leaseKey);

    // Assess
    expect(keys).to.deep.equal(['p', 'h', 'o', 'dc']);
  });
});
