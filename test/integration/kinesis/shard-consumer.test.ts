import { expect } from 'chai';
import { ExpiredIteratorException, ProvisionedThroughputExceededException } from '@aws-sdk/client-kinesis';
import { ProvisionedThroughputExceededException as DynamoThrottled } from '@aws-sdk/client-dynamodb';
import type { KinesisFixture } from './helpers.js';
import { injectFaults, kinesisFixture, leaseItems, processedLog, putMany, sequenceNumbers, testConsumer, waitFor } from './helpers.js';

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

  describe('Method: start (a quiet shard)', () => {
    it('reads a shard nobody writes to less and less often, and a record put then still arrives within the longest wait', async () => {
      // Prepare: one empty shard; reads may start 4 a second (the default share), 100 ms apart when caught up
      fx = await kinesisFixture(1);
      const log = processedLog();
      const consumer = testConsumer(fx, log, { idleTimeBetweenReadsMs: 100, maxIdleTimeBetweenReadsMs: 800 });
      await consumer.start();
      const callsAt = (): number => consumer.metrics().shards.reduce((n, s) => n + s.getRecordsCalls, 0);

      // Act: four quiet seconds, then one record
      await new Promise((resolve) => setTimeout(resolve, 3_500));
      const settled = callsAt();
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      const quietCalls = callsAt() - settled;
      const [put] = await putMany(fx, 1, 'after-quiet');
      const putAt = Date.now();
      const waitedMs = await waitFor('the record put after the quiet stretch', () => log.distinct().has(put!), 10_000).then(() => Date.now() - putAt);
      await consumer.close();

      // Assess: at the 4/s share the quiet 4 s would be 16 reads; backed off to 800 ms it is about 5
      expect(quietCalls, 'GetRecords calls in 4 quiet seconds').to.be.at.most(8);
      expect(quietCalls).to.be.at.least(4);
      expect(waitedMs, 'ms from put to processed').to.be.below(800 + 500);
    });
  });

  describe('Method: start (several batches in flight)', () => {
    it('completes batches out of order within the window and checkpoints only at the low watermark', async () => {
      // Prepare
      fx = await kinesisFixture(2);
      const window = { maxInFlightBatches: 4, maxInFlightRecords: 60, maxBatchSize: 10 };
      const put = await putMany(fx, 600, 'w');
      const stream = await sequenceNumbers(fx);
      const done = new Map<string, Set<string>>();
      const inFlight = new Map<string, { records: number; batches: number }>();
      const handed = { maxRecords: 0, maxBatches: 0 };
      const checkpoints: string[] = [];
      const violations: string[] = [];
      // Sees each checkpoint as it is written: every record at or below it must be done by then.
      injectFaults(fx.dynamodb, (command, _n, input) => {
        const checkpoint = (input['ExpressionAttributeValues'] as Record<string, { S?: string }> | undefined)?.[':checkpoint']?.S;
        const shardId = (input['Key'] as Record<string, { S?: string }> | undefined)?.['leaseKey']?.S ?? '';
        if (command !== 'UpdateItemCommand' || checkpoint === undefined || !/^\d+$/.test(checkpoint)) return undefined;
        checkpoints.push(checkpoint);
        const missing = (stream.get(shardId) ?? []).filter((seq) => BigInt(seq) <= BigInt(checkpoint) && done.get(shardId)?.has(seq) !== true);
        if (missing.length > 0) violations.push(`${shardId}@${checkpoint}: ${missing.length} not done`);
        return undefined;
      });
      const log = processedLog();
      const consumer = testConsumer(fx, log, {
        ...window,
        processRecords: async (batch, context) => {
          const shard = inFlight.get(context.shardId) ?? { records: 0, batches: 0 };
          inFlight.set(context.shardId, shard);
          shard.records += batch.length;
          shard.batches += 1;
          handed.maxRecords = Math.max(handed.maxRecords, shard.records);
          handed.maxBatches = Math.max(handed.maxBatches, shard.batches);
          // Later batches often finish first, as queue jobs do.
          await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 40)));
          const shardDone = done.get(context.shardId) ?? new Set<string>();
          done.set(context.shardId, shardDone);
          for (const record of batch) {
            shardDone.add(record.sequenceNumber);
            log.records.push({ shardId: context.shardId, record, workerId: context.workerId });
          }
          shard.records -= batch.length;
          shard.batches -= 1;
        },
      });

      // Act
      await consumer.start();
      await waitFor('every record', () => log.distinct().size >= put.length);
      await consumer.close();

      // Assess
      console.log(`      ${checkpoints.length} checkpoints; at most ${handed.maxBatches} batches / ${handed.maxRecords} records in flight per shard`);
      expect(checkpoints.length).to.be.greaterThan(2);
      expect(violations).to.deep.equal([]);
      expect(handed.maxBatches).to.be.at.most(window.maxInFlightBatches).and.greaterThan(1);
      expect(handed.maxRecords).to.be.at.most(window.maxInFlightRecords);
      expect(log.distinct()).to.deep.equal(new Set(put));
    });
  });

  describe('Method: processRecords (failures)', () => {
    it('retries a failing batch, bisects it down to the poison record, hands that to onPoisonRecord and moves on', async () => {
      // Prepare
      fx = await kinesisFixture(2);
      const put = await putMany(fx, 400, 'r');
      const poisonData = put[137] as string;
      const log = processedLog();
      const consumer = testConsumer(fx, log, { maxBatchRetries: 2, fail: (r) => Buffer.from(r.data).toString('utf8') === poisonData });

      // Act
      await consumer.start();
      await waitFor('every other record and the poison one', () => log.distinct().size === put.length - 1 && log.poison.length === 1);
      const past = async () => {
        const poison = log.poison[0];
        const lease = (await leaseItems(fx)).find((l) => l.leaseKey === poison?.shardId);
        return poison !== undefined && /^\d+$/.test(lease?.checkpoint ?? '') && BigInt(lease?.checkpoint ?? 0) > BigInt(poison.sequenceNumber);
      };
      await waitFor('the checkpoint past the poison record', past);
      const metrics = consumer.metrics();
      await consumer.close();

      // Assess
      const [poison] = log.poison;
      console.log(`      poison isolated after ${metrics.shards.reduce((n, s) => n + s.batchRetries, 0)} failed hand-overs`);
      expect(Buffer.from(poison?.record.data ?? []).toString('utf8')).to.equal(poisonData);
      expect(poison?.sequenceNumber).to.equal(poison?.record.sequenceNumber);
      expect(poison?.attempts).to.equal(3);
      expect(poison?.error).to.be.instanceOf(Error);
      expect(log.distinct()).to.deep.equal(new Set(put.filter((d) => d !== poisonData)));
    });
  });

  describe('Method: start (injected faults)', () => {
    it('backs off on throttling, resumes after expired iterators and failed lease writes, and loses nothing', async () => {
      // Prepare
      fx = await kinesisFixture(2);
      const faulty = fx.env.clientsFor('stream-reader');
      const injected = { throttled: 0, expired: 0, dynamo: 0 };
      injectFaults(faulty.kinesis, (command, n) => {
        if (command !== 'GetRecordsCommand') return undefined;
        if (n % 3 === 0) {
          injected.throttled += 1;
          return new ProvisionedThroughputExceededException({ message: 'Rate exceeded for shard (injected)', $metadata: {} });
        }
        if (n % 7 === 0) {
          injected.expired += 1;
          return new ExpiredIteratorException({ message: 'Iterator expired (injected)', $metadata: {} });
        }
        return undefined;
      });
      injectFaults(faulty.dynamodb, (command, n) => {
        if (command !== 'UpdateItemCommand' || n % 4 !== 0) return undefined;
        injected.dynamo += 1;
        return new DynamoThrottled({ message: 'Throughput exceeds the current capacity (injected)', $metadata: {} });
      });
      const log = processedLog();
      const consumer = testConsumer(fx, log, { kinesis: faulty.kinesis, dynamodb: faulty.dynamodb, maxRecordsPerCall: 100 });

      // Act
      await consumer.start();
      const put = [...(await putMany(fx, 1_000, 'a')), ...(await putMany(fx, 1_000, 'b'))];
      await waitFor('every record', () => log.distinct().size >= put.length, 30_000);
      const metrics = consumer.metrics();
      await consumer.close();
      faulty.destroy();

      // Assess
      const throttled = metrics.shards.reduce((n, s) => n + s.throttled, 0);
      const expired = metrics.shards.reduce((n, s) => n + s.expiredIterators, 0);
      console.log(`      injected ${injected.throttled} throttles, ${injected.expired} expired iterators, ${injected.dynamo} failed lease writes; duplicates ${log.records.length - log.distinct().size}`);
      expect(throttled).to.be.greaterThan(0);
      expect(expired).to.be.greaterThan(0);
      expect(injected.dynamo).to.be.greaterThan(0);
      expect(log.distinct()).to.deep.equal(new Set(put));
      // Resuming after the last record read (not the checkpoint) hands nothing out twice.
      expect(log.records.length).to.equal(put.length);
    });
  });
});
