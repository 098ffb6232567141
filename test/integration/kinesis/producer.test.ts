import { GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-kinesis';
import type { PutRecordsRequestEntry, PutRecordsResultEntry } from '@aws-sdk/client-kinesis';
import { expect } from 'chai';
import { silentLogger } from '../../../shared/logger.js';
import { KinesisProducer, MAX_BYTES_PER_PUT, MAX_BYTES_PER_RECORD, MAX_RECORDS_PER_PUT, RecordTooLargeError } from '../../../shared/kinesis/index.js';
import type { KinesisFixture } from './helpers.js';
import { injectFaults, kinesisFixture, listShards } from './helpers.js';

type Middleware = (next: (args: { input: { Records?: PutRecordsRequestEntry[] } }) => Promise<{ output: { Records?: PutRecordsResultEntry[]; FailedRecordCount?: number } }>) => (args: { input: { Records?: PutRecordsRequestEntry[] } }) => Promise<unknown>;

/**
 * Partial failure as Kinesis does it: the refused entries are not written, and the response
 * holds an error in their places. Every third entry of the first `calls` calls is refused.
 */
function refuseSomeEntries(fx: KinesisFixture, calls: number, inFlight: { now: number; max: number }): void {
  let call = 0;
  const middleware: Middleware = (next) => async (args) => {
    inFlight.now += 1;
    inFlight.max = Math.max(inFlight.max, inFlight.now);
    try {
      call += 1;
      const all = args.input.Records ?? [];
      if (call > calls) return await next(args);
      const refused = new Set(all.map((_, i) => i).filter((i) => i % 3 === 1));
      const result = await next({ ...args, input: { ...args.input, Records: all.filter((_, i) => !refused.has(i)) } });
      const accepted = [...(result.output.Records ?? [])];
      const Records = all.map((_, i) => (refused.has(i) ? { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded for shard (injected)' } : (accepted.shift() as PutRecordsResultEntry)));
      return { ...result, output: { ...result.output, Records, FailedRecordCount: refused.size } };
    } finally {
      inFlight.now -= 1;
    }
  };
  fx.producer.middlewareStack.add(middleware as never, { step: 'initialize', name: 'refuseSomeEntries' });
}

async function readAll(fx: KinesisFixture): Promise<string[]> {
  const data: string[] = [];
  for (const shard of await listShards(fx)) {
    const { ShardIterator } = await fx.operator.kinesis.send(new GetShardIteratorCommand({ StreamName: fx.streamName, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }));
    const { Records } = await fx.operator.kinesis.send(new GetRecordsCommand({ ShardIterator }));
    data.push(...(Records ?? []).map((r) => Buffer.from(r.Data ?? []).toString('utf8')));
  }
  return data;
}

describe('Class: KinesisProducer', function () {
  this.timeout(60_000);
  let fx: KinesisFixture;

  afterEach(async () => {
    await fx?.cleanup();
  });

  describe('Method: put', () => {
    it('packs calls up to 500 records and 5 MiB, partition keys included', async () => {
      // Prepare
      fx = await kinesisFixture(2);
      const calls: { records: number; bytes: number }[] = [];
      injectFaults(fx.producer, (command, _n, input) => {
        const records = (input['Records'] as PutRecordsRequestEntry[] | undefined) ?? [];
        if (command === 'PutRecordsCommand') calls.push({ records: records.length, bytes: records.reduce((n, r) => n + (r.Data?.byteLength ?? 0) + Buffer.byteLength(r.PartitionKey ?? ''), 0) });
        return undefined;
      });
      const producer = new KinesisProducer({ kinesis: fx.producer, streamName: fx.streamName, logger: silentLogger() });
      const small = Array.from({ length: 1_200 }, (_, i) => ({ data: `s-${i}`, partitionKey: `user-${i}` }));
      const large = Array.from({ length: 7 }, (_, i) => ({ data: new Uint8Array(1_000 * 1024), partitionKey: `big-${i}` }));

      // Act
      await Promise.all(small.map((r) => producer.put(r)));
      const smallCalls = calls.splice(0);
      const smallRetried = producer.counters().retried;
      await Promise.all(large.map((r) => producer.put(r)));
      await producer.close();
      // Seven records of 1000 KiB on two shards are over a shard's 1 MiB/s: the refused ones are sent again.
      const largeRetried = producer.counters().retried - smallRetried;

      // Assess
      console.log(`      1,200 small records in calls of ${smallCalls.map((c) => c.records).join(', ')}; 7 x 1000 KiB in calls of ${calls.map((c) => c.records).join(', ')}`);
      expect(Math.max(...smallCalls.map((c) => c.records))).to.equal(MAX_RECORDS_PER_PUT);
      expect(smallCalls.reduce((n, c) => n + c.records, 0)).to.equal(small.length + smallRetried);
      expect(Math.max(...calls.map((c) => c.bytes))).to.be.at.most(MAX_BYTES_PER_PUT);
      expect(calls.reduce((n, c) => n + c.records, 0)).to.equal(large.length + largeRetried);
      expect(producer.counters()).to.include({ put: small.length + large.length, failed: 0 });
    });

    it('retries only the refused entries until every record is accepted, within the calls-in-flight bound', async () => {
      // Prepare
      fx = await kinesisFixture(2);
      const inFlight = { now: 0, max: 0 };
      refuseSomeEntries(fx, 6, inFlight);
      const producer = new KinesisProducer({ kinesis: fx.producer, streamName: fx.streamName, logger: silentLogger(), maxCallsInFlight: 2, backoffBaseMs: 10, backoffMaxMs: 50, maxRecordsPerCall: 100 });
      const data = Array.from({ length: 1_000 }, (_, i) => `p-${i}`);

      // Act
      const results = await Promise.all(data.map((d, i) => producer.put({ data: d, partitionKey: `user-${i % 50}` })));
      await producer.close();
      const stored = await readAll(fx);

      // Assess
      const counters = producer.counters();
      console.log(`      1,000 records: ${counters.calls} calls, ${counters.retried} retried, at most ${inFlight.max} in flight`);
      expect(counters.retried).to.be.greaterThan(0);
      expect(counters.put).to.equal(data.length);
      expect(counters.failed).to.equal(0);
      expect(inFlight.max).to.be.at.most(2);
      expect(results.every((r) => r.sequenceNumber !== '' && r.shardId.startsWith('shardId-'))).to.equal(true);
      expect(stored.sort()).to.deep.equal([...data].sort());
    });

    it('keeps the put order of each partition key through retries', async () => {
      // Prepare
      fx = await kinesisFixture(1);
      refuseSomeEntries(fx, 10, { now: 0, max: 0 });
      const producer = new KinesisProducer({ kinesis: fx.producer, streamName: fx.streamName, logger: silentLogger(), backoffBaseMs: 10, backoffMaxMs: 50 });
      const data = Array.from({ length: 300 }, (_, i) => `user-${i % 3}:${i}`);

      // Act
      await Promise.all(data.map((d) => producer.put({ data: d, partitionKey: d.split(':')[0] as string })));
      await producer.close();
      const stored = await readAll(fx);

      // Assess
      for (const key of ['user-0', 'user-1', 'user-2']) {
        expect(stored.filter((d) => d.startsWith(`${key}:`))).to.deep.equal(data.filter((d) => d.startsWith(`${key}:`)));
      }
      expect(producer.counters().retried).to.be.greaterThan(0);
    });

    it('rejects a record that can never fit with an error naming its partition key and size, and sends the rest', async () => {
      // Prepare
      fx = await kinesisFixture(1);
      const producer = new KinesisProducer({ kinesis: fx.producer, streamName: fx.streamName, logger: silentLogger() });
      const oversized = new Uint8Array(MAX_BYTES_PER_RECORD);

      // Act
      const outcomes = await Promise.allSettled([producer.put({ data: 'small', partitionKey: 'user-1' }), producer.put({ data: oversized, partitionKey: 'user-big' })]);
      await producer.close();

      // Assess
      const [small, big] = outcomes;
      expect(small?.status).to.equal('fulfilled');
      expect(big?.status).to.equal('rejected');
      const error = (big as PromiseRejectedResult).reason as RecordTooLargeError;
      expect(error).to.be.instanceOf(RecordTooLargeError);
      expect(error.partitionKey).to.equal('user-big');
      expect(error.sizeBytes).to.equal(MAX_BYTES_PER_RECORD + 'user-big'.length);
      expect(error.message).to.contain("'user-big'").and.to.contain(String(MAX_BYTES_PER_RECORD + 'user-big'.length));
      expect(producer.counters()).to.include({ put: 1, failed: 1 });
      expect(await readAll(fx)).to.deep.equal(['small']);
    });
  });
});
