import { PutRecordsCommand, SplitShardCommand } from '@aws-sdk/client-kinesis';
import { expect } from 'chai';
import { startFronts } from '../../../local/env/front/fronts.js';
import type { Fronts } from '../../../local/env/front/fronts.js';
import { fanOutMiddleware } from '../../../local/env/front/fan-out/fan-out-middleware.js';
import { iamMiddleware } from '../../../local/env/front/iam/iam-middleware.js';
import { LOCAL_REGION, operatorCredentials, roleCredentials } from '../../../local/env/front/identities.js';
import { ensureStreamConsumer } from '../../../local/env/provision.js';
import { createKinesisClient, createKinesisFanOutClient } from '../../../shared/aws/clients.js';
import { readByFanOut } from '../../../shared/kinesis/fan-out-reader.js';
import type { ShardConsumer } from '../../../shared/kinesis/index.js';
import { SentinelCheckpoint } from '../../../shared/kinesis/constants.js';
import { silentLogger } from '../../../shared/logger.js';
import type { KinesisFixture } from './helpers.js';
import { fanOutFixture, leaseItems, listShards, processedLog, putMany, testConsumer, waitFor, waitForActive } from './helpers.js';

/** Half of the 128-bit hash key space: SplitShard's usual "split in the middle". */
const MIDDLE_HASH_KEY = (2n ** 127n).toString();

describe('Class: ShardConsumer (enhanced fan-out)', function () {
  this.timeout(60_000);
  let fx: KinesisFixture;
  let consumers: ShardConsumer[] = [];

  afterEach(async () => {
    await Promise.all(consumers.map((c) => c.close()));
    consumers = [];
    await fx?.cleanup();
  });

  it('reads every record of 2 shards as they are pushed, with no GetRecords call, and after a restart goes on from the checkpoint', async () => {
    // Prepare
    fx = await fanOutFixture(2);
    const first = processedLog();
    const consumer = testConsumer(fx, first);
    consumers = [consumer];
    await consumer.start();

    // Act
    const put = await putMany(fx, 2_000, 'r');
    await waitFor('all 2,000 records', () => first.distinct().size >= put.length);
    const metrics = consumer.metrics();
    await consumer.close();
    const second = processedLog();
    const restarted = testConsumer(fx, second);
    consumers = [restarted];
    await restarted.start();
    const after = await putMany(fx, 200, 'after');
    await waitFor('the records put after the restart', () => second.distinct().size >= after.length);

    // Assess
    expect(first.distinct()).to.deep.equal(new Set(put));
    expect(metrics.shards.map((s) => s.getRecordsCalls)).to.deep.equal([0, 0]);
    expect(metrics.shards.every((s) => s.subscriptions >= 1)).to.equal(true);
    expect(second.distinct(), 'nothing before the checkpoint is read again').to.deep.equal(new Set(after));
  });

  it('hands the first push over at once and later ones at most once per lingerMs, so a busy shard is not handed one batch per small write', async () => {
    // Prepare
    fx = await fanOutFixture(1);
    const log = processedLog();
    const batches: number[] = [];
    const consumer = testConsumer(fx, log, {
      fanOut: { ...fx.fanOut!, lingerMs: 250 },
      processRecords: async (batch, context) => {
        batches.push(batch.length);
        for (const record of batch) log.records.push({ shardId: context.shardId, record, workerId: context.workerId });
      },
    });
    consumers = [consumer];
    await consumer.start();

    // Act: twenty writes of ten records, 20 ms apart
    const sent: string[] = [];
    for (let put = 0; put < 20; put++) {
      const Records = Array.from({ length: 10 }, (_, i) => ({ PartitionKey: 'user-1', Data: Buffer.from(`p${put}-${i}`) }));
      sent.push(...Records.map((r) => r.Data.toString()));
      await fx.producer.send(new PutRecordsCommand({ StreamName: fx.streamName, Records }));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await waitFor('every record', () => log.distinct().size >= sent.length);

    // Assess: the first write alone, then what arrived in each 250 ms, in put order
    expect(log.records.map((r) => Buffer.from(r.record.data).toString())).to.deep.equal(sent);
    expect(batches[0], `batches ${batches.join(', ')}`).to.equal(10);
    expect(batches.length, `batches ${batches.join(', ')}`).to.be.within(2, 6);
  });

  it("hands a shard to the next worker on close: its subscription waits out AWS's five seconds and loses nothing", async () => {
    // Prepare
    fx = await fanOutFixture(1);
    const log = processedLog();
    const a = testConsumer(fx, log, { workerId: 'worker-a' });
    consumers = [a];
    await a.start();
    const before = await putMany(fx, 300, 'before');
    await waitFor('the first records', () => log.distinct().size >= before.length);

    // Act: a leaves within five seconds of its subscription; b takes the lease in one pass
    await a.close();
    const b = testConsumer(fx, log, { workerId: 'worker-b' });
    consumers = [b];
    await b.start();
    const later = await putMany(fx, 300, 'later');
    await waitFor('the records put after the hand-over', () => later.every((r) => log.distinct().has(r)), 20_000);

    // Assess
    const shard = b.metrics().shards[0];
    expect(shard?.subscriptions, 'refused while the five seconds ran, then subscribed').to.be.greaterThan(1);
    expect(log.distinct()).to.deep.equal(new Set([...before, ...later]));
  });

  it('reads the parent to its end before the children after a SplitShard, from the ChildShards of the last event', async () => {
    // Prepare
    fx = await fanOutFixture(1);
    const log = processedLog();
    const consumer = testConsumer(fx, log);
    consumers = [consumer];
    await consumer.start();
    const before = await putMany(fx, 200, 'before');
    await waitFor('the records before the split', () => log.distinct().size >= before.length);

    // Act
    await fx.operator.kinesis.send(new SplitShardCommand({ StreamName: fx.streamName, ShardToSplit: 'shardId-000000000000', NewStartingHashKey: MIDDLE_HASH_KEY }));
    await waitForActive(fx);
    const after = await putMany(fx, 200, 'after');
    await waitFor('the records put to the children', () => after.every((r) => log.distinct().has(r)), 30_000);

    // Assess
    const children = (await listShards(fx)).filter((s) => s.ParentShardId === 'shardId-000000000000').map((s) => s.ShardId);
    const leases = await leaseItems(fx);
    expect(leases.find((l) => l.leaseKey === 'shardId-000000000000')?.checkpoint).to.equal(SentinelCheckpoint.SHARD_END);
    expect(children).to.have.length(2);
    const firstChildRecord = log.records.findIndex((r) => r.shardId !== 'shardId-000000000000');
    const lastParentRecord = log.records.map((r) => r.shardId).lastIndexOf('shardId-000000000000');
    expect(lastParentRecord, 'every record of the parent before any of a child').to.be.below(firstChildRecord);
    expect(log.distinct()).to.deep.equal(new Set([...before, ...after]));
  });
});

describe('Function: readByFanOut', function () {
  this.timeout(60_000);
  let fronts: Fronts | undefined;
  let fx: KinesisFixture | undefined;

  after(async () => {
    await fronts?.close();
    await fx?.cleanup();
  });

  it('subscribes again after each subscription ends, from the last record handed over, so nothing is lost or read twice', async () => {
    // Prepare: a front of its own whose subscriptions last 600 ms instead of five minutes
    fx = await fanOutFixture(1);
    const upstreams = fx.env.front?.upstreams ?? fx.env.endpoints;
    fronts = await startFronts({ services: [{ service: 'kinesis', upstream: upstreams.kinesis }], middlewares: [iamMiddleware, fanOutMiddleware({ subscriptionMs: 600, resubscribeMs: 300 })] });
    const clientEnv = { AWS_ENDPOINT_URL_KINESIS: fronts.endpoints.kinesis ?? '' };
    const fanOut = createKinesisFanOutClient({ region: LOCAL_REGION, credentials: roleCredentials(fx.stack, 'stream-reader'), env: clientEnv });
    const producer = createKinesisClient({ region: LOCAL_REGION, credentials: roleCredentials(fx.stack, 'crawler'), env: clientEnv });
    const operator = createKinesisClient({ region: LOCAL_REGION, credentials: operatorCredentials(), env: clientEnv });
    const consumerArn = await ensureStreamConsumer(operator, fx.streamName, 'stream-reader');
    operator.destroy();
    const counts = { subscriptions: 0, throttled: 0, resubscribeRefused: 0, stalled: 0 };
    const stop = new AbortController();
    const seen: string[] = [];
    const reading = (async () => {
      for await (const read of readByFanOut({ kinesis: fanOut, consumerArn, shardId: 'shardId-000000000000', start: { Type: 'TRIM_HORIZON' }, backoff: () => 50, signal: stop.signal, logger: silentLogger(), counts })) {
        if (read.kind === 'records') seen.push(...read.records.map((r) => Buffer.from(r.Data ?? []).toString()));
      }
    })();

    // Act: writes spread over about three subscriptions' lifetimes
    const sent: string[] = [];
    for (let round = 0; round < 10; round++) {
      const Records = Array.from({ length: 20 }, (_, i) => ({ PartitionKey: 'u', Data: Buffer.from(`${round}-${i}`) }));
      sent.push(...Records.map((r) => r.Data.toString()));
      await producer.send(new PutRecordsCommand({ StreamName: fx.streamName, Records }));
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await waitFor('every record', () => seen.length >= sent.length);
    stop.abort();
    await reading;
    fanOut.destroy();
    producer.destroy();

    // Assess
    expect(seen).to.deep.equal(sent);
    expect(counts.subscriptions).to.be.at.least(3);
  });

  it('cancels a subscription that stays silent past the stall time and subscribes again', async () => {
    // Prepare: a front that sends nothing on an idle shard for a minute, and a reader that calls 600 ms of silence a stall
    const upstreams = fx!.env.front?.upstreams ?? fx!.env.endpoints;
    const silent = await startFronts({ services: [{ service: 'kinesis', upstream: upstreams.kinesis }], middlewares: [iamMiddleware, fanOutMiddleware({ resubscribeMs: 100, idleEventMs: 60_000 })] });
    const clientEnv = { AWS_ENDPOINT_URL_KINESIS: silent.endpoints.kinesis ?? '' };
    const operator = createKinesisClient({ region: LOCAL_REGION, credentials: operatorCredentials(), env: clientEnv });
    const consumerArn = await ensureStreamConsumer(operator, fx!.streamName, 'stream-reader');
    const fanOut = createKinesisFanOutClient({ region: LOCAL_REGION, credentials: roleCredentials(fx!.stack, 'stream-reader'), env: clientEnv });
    const counts = { subscriptions: 0, throttled: 0, resubscribeRefused: 0, stalled: 0 };
    const stop = new AbortController();

    // Act
    const reading = (async () => {
      for await (const read of readByFanOut({ kinesis: fanOut, consumerArn, shardId: 'shardId-000000000000', start: { Type: 'LATEST' }, backoff: () => 50, signal: stop.signal, logger: silentLogger(), counts, stallMs: 600 })) void read;
    })();
    await waitFor('two stalls', () => counts.stalled >= 2, 10_000);
    stop.abort();
    await reading;
    fanOut.destroy();
    operator.destroy();
    await silent.close();

    // Assess
    expect(counts.subscriptions).to.be.at.least(3);
    expect(counts.stalled).to.be.at.least(2);
  });
});
