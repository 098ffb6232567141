import { expect } from 'chai';
import type { ShardConsumer } from '../../../shared/kinesis/index.js';
import type { KinesisFixture } from './helpers.js';
import { FAST_LEASES, kinesisFixture, leaseCounts, processedLog, putMany, testConsumer, waitFor } from './helpers.js';

function balanced(counts: Map<string, number>, workers: readonly ShardConsumer[], each: number): boolean {
  return workers.every((w) => counts.get(w.workerId) === each) && !counts.has('(free)');
}

describe('Class: ShardConsumer', function () {
  this.timeout(60_000);
  let fx: KinesisFixture;
  let consumers: ShardConsumer[] = [];

  afterEach(async () => {
    await Promise.all(consumers.map((c) => c.close()));
    consumers = [];
    await fx?.cleanup();
  });

  describe('Method: start', () => {
    it('balances 6 shards across 3 consumers to 2-2-2 within a few lease passes, and stays there', async () => {
      // Prepare
      fx = await kinesisFixture(6);
      const log = processedLog();
      consumers = ['a', 'b', 'c'].map((id) => testConsumer(fx, log, { workerId: `worker-${id}` }));

      // Act
      const starting = Date.now();
      await Promise.all(consumers.map((c) => c.start()));
      const started = Date.now();
      await waitFor('2-2-2', async () => balanced(await leaseCounts(fx), consumers, 2));
      const elapsed = Date.now() - started;
      const stolen = consumers.reduce((n, c) => n + c.metrics().leasesStolen, 0);
      await new Promise((r) => setTimeout(r, 4 * FAST_LEASES.leasePassIntervalMs));
      const later = await leaseCounts(fx);

      // Assess
      console.log(`      started (leases created, first pass) in ${started - starting} ms; balanced 2-2-2 ${elapsed} ms later (${(elapsed / FAST_LEASES.leasePassIntervalMs).toFixed(1)} lease passes), ${stolen} steal(s)`);
      expect(balanced(later, consumers, 2), JSON.stringify([...later])).to.equal(true);
      expect(consumers.reduce((n, c) => n + c.metrics().leasesStolen, 0)).to.equal(stolen);
      expect(consumers.map((c) => c.heldShards().length)).to.deep.equal([2, 2, 2]);
    });
  });

  describe('Method: close', () => {
    it('checkpoints and releases, so the others take its shards within one lease pass and lose nothing', async () => {
      // Prepare
      fx = await kinesisFixture(6);
      const log = processedLog();
      // A long failover time costs this test nothing (nothing waits for it) and leaves room for
      // slow passes on a loaded machine below the bound asserted.
      const failoverTimeMs = 6_000;
      consumers = ['a', 'b', 'c'].map((id) => testConsumer(fx, log, { workerId: `worker-${id}`, failoverTimeMs, renewIntervalMs: 1_000 }));
      await Promise.all(consumers.map((c) => c.start()));
      await waitFor('2-2-2', async () => balanced(await leaseCounts(fx), consumers, 2));
      const before = await putMany(fx, 600, 'before');
      await waitFor('records put before the close', () => [...log.distinct()].filter((d) => d.startsWith('before')).length === before.length);
      const [leaving, ...staying] = consumers as [ShardConsumer, ...ShardConsumer[]];

      // Act
      await leaving.close();
      const handoffMs = await waitFor('the 6 shards on 2 workers', async () => balanced(await leaseCounts(fx), staying, 3), 10_000, 10);
      const after = await putMany(fx, 600, 'after');
      await waitFor('records put after the close', () => [...log.distinct()].filter((d) => d.startsWith('after')).length === after.length);

      // Assess
      console.log(`      graceful hand-off in ${handoffMs} ms (lease pass ${FAST_LEASES.leasePassIntervalMs} ms, failover ${failoverTimeMs} ms); released ${leaving.metrics().leasesReleased} lease(s)`);
      expect(leaving.metrics().leasesReleased).to.equal(2);
      expect(leaving.heldShards()).to.deep.equal([]);
      expect(handoffMs).to.be.lessThan(failoverTimeMs / 2);
      expect(log.distinct()).to.deep.equal(new Set([...before, ...after]));
    });

    it('returns the same promise when called twice', async () => {
      // Prepare
      fx = await kinesisFixture(1);
      const consumer = testConsumer(fx, processedLog());
      consumers = [consumer];
      await consumer.start();

      // Act
      const first = consumer.close();
      const second = consumer.close();
      await first;

      // Assess
      expect(second).to.equal(first);
      expect((await leaseCounts(fx)).get('(free)')).to.equal(1);
    });
  });
});
