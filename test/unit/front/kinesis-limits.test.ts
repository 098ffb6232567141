import { expect } from 'chai';
import { KINESIS_SHARD_LIMITS, KinesisLimitsMiddleware, getRecordsDataBytes, rateExceededMessage } from '../../../local/env/front/limits/kinesis-limits.js';
import { hashKeyOf, openShardRanges, shardOf } from '../../../local/env/front/limits/shard-map.js';
import { TokenBucket } from '../../../local/env/front/limits/token-bucket.js';
import type { FrontCall, FrontHandler, FrontResponse } from '../../../local/env/front/types.js';

const STREAM = 'raw';
const HALF = 2n ** 127n;
/** Two open shards splitting the hash space, and a closed parent that must take no writes. */
const SHARDS = [
  { ShardId: 'shardId-000000000000', HashKeyRange: { StartingHashKey: '0', EndingHashKey: String(2n ** 128n - 1n) }, SequenceNumberRange: { StartingSequenceNumber: '1', EndingSequenceNumber: '9' } },
  { ShardId: 'shardId-000000000001', HashKeyRange: { StartingHashKey: '0', EndingHashKey: String(HALF - 1n) }, SequenceNumberRange: { StartingSequenceNumber: '10' } },
  { ShardId: 'shardId-000000000002', HashKeyRange: { StartingHashKey: String(HALF), EndingHashKey: String(2n ** 128n - 1n) }, SequenceNumberRange: { StartingSequenceNumber: '10' } },
];
const RANGES = openShardRanges(SHARDS);

function answer(json: unknown, status = 200): FrontResponse {
  const body = Buffer.from(JSON.stringify(json));
  return { status, headers: { 'content-type': 'application/x-amz-json-1.1' }, body };
}

/** A stand-in emulator: lists the shards above, stores what is put (on the shard the key hashes to), serves reads. */
function emulator() {
  const seen: { operation: string; json: unknown }[] = [];
  const handler: FrontHandler = (call) => {
    seen.push({ operation: call.operation, json: call.json });
    if (call.operation === 'ListShards') return Promise.resolve(answer({ Shards: SHARDS }));
    if (call.operation === 'PutRecords') {
      const records = (call.json as { Records: { PartitionKey: string }[] }).Records;
      return Promise.resolve(answer({ FailedRecordCount: 0, Records: records.map((r, i) => ({ SequenceNumber: String(i), ShardId: shardOf(RANGES, hashKeyOf(r.PartitionKey)) })) }));
    }
    if (call.operation === 'PutRecord') return Promise.resolve(answer({ SequenceNumber: '1', ShardId: shardOf(RANGES, hashKeyOf((call.json as { PartitionKey: string }).PartitionKey)) }));
    return Promise.resolve(answer({ Records: [{ Data: Buffer.alloc(1000).toString('base64'), PartitionKey: 'k', SequenceNumber: '1' }], NextShardIterator: 'next', MillisBehindLatest: 0 }));
  };
  return { seen, handler };
}

function call(operation: string, json: unknown, shardId?: string): FrontCall {
  const body = Buffer.from(JSON.stringify(json));
  return {
    id: 1,
    service: 'kinesis',
    operation,
    action: `kinesis:${operation}`,
    principal: { kind: 'operator', accessKeyId: 'k', arn: 'arn' },
    resources: [],
    access: [],
    http: { method: 'POST', url: '/', path: '/', query: new URLSearchParams(), headers: { 'x-amz-target': `Kinesis_20131202.${operation}` } },
    body,
    json,
    kinesis: { streamName: STREAM, shardId },
    receivedAt: 0,
  };
}

/** Partition keys that hash to the given shard. */
function keysOn(shardId: string, n: number): string[] {
  const keys: string[] = [];
  for (let i = 0; keys.length < n; i++) if (shardOf(RANGES, hashKeyOf(`user-${i}`)) === shardId) keys.push(`user-${i}`);
  return keys;
}

const record = (key: string, bytes = 10) => ({ PartitionKey: key, Data: Buffer.alloc(bytes).toString('base64') });
const json = (response: FrontResponse) => JSON.parse(response.body.toString('utf8')) as Record<string, unknown>;

describe('Class: TokenBucket', () => {
  it('starts with one second banked, refills at its rate and never banks more', () => {
    // Prepare
    const bucket = new TokenBucket(5, 0);

    // Act / Assess
    for (let i = 0; i < 5; i++) expect(bucket.tryTake(1, 0)).to.equal(true);
    expect(bucket.tryTake(1, 0)).to.equal(false);
    expect(bucket.tryTake(1, 199)).to.equal(false);
    expect(bucket.tryTake(1, 200)).to.equal(true);
    expect(bucket.available(60_000)).to.equal(5);
  });

  it('lets a cost known afterwards run into debt that must be paid back', () => {
    const bucket = new TokenBucket(100, 0);
    bucket.charge(300, 0);
    expect(bucket.available(1000)).to.equal(-100);
    expect(bucket.available(2000)).to.equal(0);
  });
});

describe('Function: hashKeyOf / shardOf', () => {
  it('routes a key by the MD5 of its partition key, or by an explicit hash key, to an open shard only', () => {
    expect(RANGES.map((r) => r.shardId)).to.deep.equal(['shardId-000000000001', 'shardId-000000000002']);
    expect(shardOf(RANGES, hashKeyOf('any', '0'))).to.equal('shardId-000000000001');
    expect(shardOf(RANGES, hashKeyOf('any', String(HALF)))).to.equal('shardId-000000000002');
    // MD5("a") = 0cc175b9c0f1b6a831c399e269772661, below 2^127.
    expect(shardOf(RANGES, hashKeyOf('a'))).to.equal('shardId-000000000001');
  });
});

describe('Class: KinesisLimitsMiddleware', () => {
  let now = 0;
  const clock = () => now;
  const enforced = () => new KinesisLimitsMiddleware({ enforce: { iam: true, limits: true } }, { now: clock });
  beforeEach(() => {
    now = 1_000_000;
  });

  describe('Method: PutRecords', () => {
    it('refuses the records over a shard\'s records per second one by one, as AWS does, and forwards the rest', async () => {
      // Prepare
      const fake = emulator();
      const handler = enforced().wrap(fake.handler);
      const hot = keysOn('shardId-000000000001', 1)[0] as string;
      const cold = keysOn('shardId-000000000002', 1)[0] as string;
      const over = 3;
      const records = [...Array.from({ length: KINESIS_SHARD_LIMITS.writeRecords + over }, () => record(hot)), record(cold)];

      // Act
      const response = await handler(call('PutRecords', { StreamName: STREAM, Records: records }));

      // Assess
      const body = json(response) as { FailedRecordCount: number; Records: Record<string, unknown>[] };
      expect(response.status).to.equal(200);
      expect(body.FailedRecordCount).to.equal(over);
      expect(body.Records).to.have.length(records.length);
      const failed = body.Records.filter((r) => r['ErrorCode'] !== undefined);
      expect(failed).to.have.length(over);
      expect(failed[0]).to.deep.equal({ ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: rateExceededMessage(STREAM, 'shardId-000000000001') });
      expect(body.Records.at(-1)?.['ShardId']).to.equal('shardId-000000000002');
      const forwarded = fake.seen.find((s) => s.operation === 'PutRecords')?.json as { Records: unknown[] };
      expect(forwarded.Records).to.have.length(records.length - over);
    });

    it('refuses by bytes per second too, and accepts again once the second has passed', async () => {
      // Prepare
      const handler = enforced().wrap(emulator().handler);
      const key = keysOn('shardId-000000000002', 1)[0] as string;
      const big = Math.floor(KINESIS_SHARD_LIMITS.writeBytes / 4);
      const put = () => handler(call('PutRecords', { StreamName: STREAM, Records: Array.from({ length: 5 }, () => record(key, big)) }));

      // Act
      const first = json(await put());
      now += 1000;
      const second = json(await put());

      // Assess: four records of a quarter MiB (plus the key) do not fit one MiB; the fifth never does
      expect(first['FailedRecordCount']).to.equal(2);
      expect(second['FailedRecordCount']).to.equal(2);
    });

    it('answers every record refused without calling the emulator when none fits', async () => {
      // Prepare
      const fake = emulator();
      const handler = enforced().wrap(fake.handler);
      const key = keysOn('shardId-000000000001', 1)[0] as string;
      await handler(call('PutRecords', { StreamName: STREAM, Records: Array.from({ length: KINESIS_SHARD_LIMITS.writeRecords }, () => record(key)) }));

      // Act
      const response = await handler(call('PutRecords', { StreamName: STREAM, Records: [record(key), record(key)] }));

      // Assess
      expect(json(response)['FailedRecordCount']).to.equal(2);
      expect(fake.seen.filter((s) => s.operation === 'PutRecords')).to.have.length(1);
    });

    it('lets every record through with enforcement off', async () => {
      const handler = new KinesisLimitsMiddleware({ enforce: { iam: true, limits: false } }, { now: clock }).wrap(emulator().handler);
      const key = keysOn('shardId-000000000001', 1)[0] as string;
      const response = await handler(call('PutRecords', { StreamName: STREAM, Records: Array.from({ length: KINESIS_SHARD_LIMITS.writeRecords * 2 }, () => record(key)) }));
      expect(json(response)['FailedRecordCount']).to.equal(0);
    });
  });

  describe('Method: PutRecord', () => {
    it('answers 400 ProvisionedThroughputExceededException once the shard is full', async () => {
      // Prepare
      const handler = enforced().wrap(emulator().handler);
      const key = keysOn('shardId-000000000002', 1)[0] as string;
      await handler(call('PutRecords', { StreamName: STREAM, Records: Array.from({ length: KINESIS_SHARD_LIMITS.writeRecords }, () => record(key)) }));

      // Act
      const response = await handler(call('PutRecord', { StreamName: STREAM, ...record(key) }));

      // Assess
      expect(response.status).to.equal(400);
      expect(json(response)).to.deep.equal({ __type: 'ProvisionedThroughputExceededException', message: rateExceededMessage(STREAM, 'shardId-000000000002') });
    });
  });

  describe('Method: GetRecords', () => {
    it('allows five calls a second per shard, shared by every reader, and refuses the sixth', async () => {
      // Prepare
      const middleware = enforced();
      const handler = middleware.wrap(emulator().handler);
      const read = (shardId: string) => handler(call('GetRecords', { ShardIterator: 'it' }, shardId));

      // Act
      const statuses: number[] = [];
      for (let i = 0; i < KINESIS_SHARD_LIMITS.readCalls + 1; i++) statuses.push((await read('shardId-000000000001')).status);
      const otherShard = await read('shardId-000000000002');
      now += 1000 / KINESIS_SHARD_LIMITS.readCalls;
      const later = await read('shardId-000000000001');

      // Assess
      expect(statuses.slice(0, -1).every((s) => s === 200)).to.equal(true);
      expect(statuses.at(-1)).to.equal(400);
      expect(otherShard.status).to.equal(200);
      expect(later.status).to.equal(200);
      const stats = middleware.stats() as { throttledReads: number; shards: Record<string, { getRecordsCalls: number; peakCallsPerSecond: number }> };
      expect(stats.throttledReads).to.equal(1);
      expect(stats.shards[`${STREAM}/shardId-000000000001`]).to.include({ getRecordsCalls: KINESIS_SHARD_LIMITS.readCalls + 2, peakCallsPerSecond: KINESIS_SHARD_LIMITS.readCalls + 2 });
    });

    it('refuses the shard\'s reads after an answer over 2 MiB until its bytes are paid back', async () => {
      // Prepare: each answer carries 1,000 bytes; a limit of 1,500 bytes/s is spent by two answers
      const middleware = new KinesisLimitsMiddleware({ enforce: { iam: true, limits: true } }, { now: clock, limits: { readBytes: 1500 } });
      const handler = middleware.wrap(emulator().handler);
      const read = () => handler(call('GetRecords', { ShardIterator: 'it' }, 'shardId-000000000001'));

      // Act
      const first = await read();
      const second = await read();
      const refused = await read();
      now += 1000;
      const paidBack = await read();

      // Assess
      expect([first.status, second.status, refused.status, paidBack.status]).to.deep.equal([200, 200, 400, 200]);
    });
  });
});

describe('Function: getRecordsDataBytes', () => {
  it('counts the decoded bytes of every record of an answer', () => {
    const body = Buffer.from(JSON.stringify({ Records: [1, 2, 3, 10].map((n) => ({ Data: Buffer.alloc(n).toString('base64'), PartitionKey: 'k' })), NextShardIterator: 'x' }));
    expect(getRecordsDataBytes(body)).to.equal(16);
  });
});
