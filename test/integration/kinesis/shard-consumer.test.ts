import { expect } from 'chai';
import type { KinesisFixture } from './helpers.js';
import { kinesisFixture, processedLog, putMany, testConsumer, waitFor } from './helpers.js';

describe('Class: ShardConsumer', function () {
  this.timeout(60_000);
  let fx: KinesisFixture;

  afterEach(async () => {
    await fx?.cleanup();
  });

  describe('Method: start', () => {
    it('processes every record of 4 shards at least once, and after a restart reads nothing before the checkpoint', async () => {
      // Prepare
      fx = await kinesisFixture(4);
      const first = processedLog();
      const consumer = testConsumer(fx, first, { maxBatchSize: 500 });
      const put = await putMany(fx, 10_000, 'r');

      // Act
      const started = Date.now();
      await consumer.start();
      await waitFor('all 10,000 records', () => first.distinct().size >= put.length, 40_000);
      const elapsed = Date.now() - started;
      const metrics = consumer.metrics();
      await consumer.close();
      const second = processedLog();
      const restarted = testConsumer(fx, second);
      await restarted.start();
      const after = await putMany(fx, 200, 'after');
      await waitFor('the records put after the restart', () => second.distinct().size >= after.length);
      await restarted.close();

      // Assess
      console.log(`      10,000 records on 4 shards processed in ${elapsed} ms; duplicates ${first.records.length - first.distinct().size}; checkpoints ${metrics.checkpointsWritten}`);
      expect(first.distinct()).to.deep.equal(new Set(put));
      expect(metrics.leasesHeld).to.equal(4);
      expect(second.distinct()).to.deep.equal(new Set(after));
    });
  });
});
