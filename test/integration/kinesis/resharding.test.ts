import { MergeShardsCommand, SplitShardCommand } from '@aws-sdk/client-kinesis';
import { expect } from 'chai';
import { silentLogger } from '../../../shared/logger.js';
import type { PutResult, ShardConsumer } from '../../../shared/kinesis/index.js';
import { KinesisProducer } from '../../../shared/kinesis/index.js';
import type { KinesisFixture } from './helpers.js';
import { kinesisFixture, leaseItems, listShards, processedLog, testConsumer, waitFor, waitForActive } from './helpers.js';

const KEYS = Array.from({ length: 16 }, (_, i) => `user-${i}`);
/** Half of the 128-bit hash key space: SplitShard's usual "split in the middle". */
const MIDDLE_HASH_KEY = (2n ** 127n).toString();

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
    it('reads parents before children through a SplitShard and a MergeShards while records flow, losing nothing', async () => {
      // Prepare
      fx = await kinesisFixture(1);
      const log = processedLog();
      consumers = ['a', 'b'].map((id) => testConsumer(fx, log, { workerId: `worker-${id}` }));
      await Promise.all(consumers.map((c) => c.start()));
      const producer = new KinesisProducer({ kinesis: fx.producer, streamName: fx.streamName, logger: silentLogger() });
      const puts: Promise<PutResult>[] = [];
      const sent: string[] = [];
      const counters = new Map(KEYS.map((k) => [k, 0]));
      let flowing = true;
      const flow = (async () => {
        while (flowing) {
          for (const key of KEYS) {
            const n = (counters.get(key) ?? 0) + 1;
            counters.set(key, n);
            sent.push(`${key}:${n}`);
            puts.push(producer.put({ data: `${key}:${n}`, partitionKey: key }));
          }
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

      // Act
      await pause(400);
      await fx.operator.kinesis.send(new SplitShardCommand({ StreamName: fx.streamName, ShardToSplit: 'shardId-000000000000', NewStartingHashKey: MIDDLE_HASH_KEY }));
      await waitForActive(fx);
      await pause(1_500);
      const [left, right] = (await listShards(fx)).filter((s) => s.ParentShardId === 'shardId-000000000000').map((s) => s.ShardId as string);
      await fx.operator.kinesis.send(new MergeShardsCommand({ StreamName: fx.streamName, ShardToMerge: left, AdjacentShardToMerge: right }));
      await waitForActive(fx);
      await pause(1_500);
      flowing = false;
      await flow;
      const results = await Promise.all(puts);
      await producer.close();
      await waitFor('every record put', () => log.distinct().size >= sent.length, 30_000);

      // Assess
      const shards = await listShards(fx);
      const generation = new Map<string, number>([['shardId-000000000000', 0]]);
      for (const shard of shards) {
        if (shard.AdjacentParentShardId !== undefined) generation.set(shard.ShardId as string, 2);
        else if (shard.ParentShardId !== undefined) generation.set(shard.ShardId as string, 1);
      }
      const firstSeen = new Map<string, { shardId: string; n: number }[]>();
      const seen = new Set<string>();
      for (const { shardId, record } of log.records) {
        const data = Buffer.from(record.data).toString('utf8');
        if (seen.has(data)) continue;
        seen.add(data);
        const [key, n] = data.split(':') as [string, string];
        firstSeen.set(key, [...(firstSeen.get(key) ?? []), { shardId, n: Number(n) }]);
      }
      for (const [key, order] of firstSeen) {
        const generations = order.map((o) => generation.get(o.shardId) ?? -1);
        expect(generations, `${key}: parent before child`).to.deep.equal([...generations].sort((a, b) => a - b));
        expect(order.map((o) => o.n), `${key}: put order`).to.deep.equal(order.map((_, i) => i + 1));
      }
      const used = new Set(results.map((r) => generation.get(r.shardId)));
      console.log(`      ${sent.length} records over ${shards.length} shards (generations written: ${[...used].sort().join(', ')}); duplicates ${log.records.length - log.distinct().size}`);
      expect(used).to.deep.equal(new Set([0, 1, 2]));
      expect(log.distinct()).to.deep.equal(new Set(sent));
      const leases = await leaseItems(fx);
      expect(leases.filter((l) => l.checkpoint === 'SHARD_END').map((l) => l.leaseKey).sort()).to.deep.equal(['shardId-000000000000', left, right].sort());
      expect(leases.find((l) => l.parents.length === 2)?.parents.sort()).to.deep.equal([left, right].sort());
    });
  });
});
