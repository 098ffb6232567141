import { expect } from 'chai';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, sep } from 'node:path';
import { seeded } from '../../helpers/seeded.js';

const require = createRequire(import.meta.url);

/** The calls kinesalite makes on a number; both bignumber.js and bigint-number.cjs have them. */
interface Num {
  pow(n: number): Num;
  times(y: unknown): Num;
  div(y: unknown): Num;
  plus(y: unknown): Num;
  minus(y: unknown): Num;
  integerValue(rm?: number): Num;
  comparedTo(y: unknown): number | null;
  eq(y: unknown): boolean;
  lt(y: unknown): boolean;
  lte(y: unknown): boolean;
  gt(y: unknown): boolean;
  gte(y: unknown): boolean;
  toString(base?: number): string;
  toFixed(): string;
}
interface NumClass {
  new (value: unknown, base?: number): Num;
  readonly ROUND_FLOOR: number;
}
interface SequenceObject {
  shardCreateTime?: number;
  seqIx?: number | string;
  seqTime?: number;
  shardIx?: number;
  byte1?: string;
  seqRand?: string;
  version?: number;
}
interface KinesaliteDb {
  parseSequence(seq: string): SequenceObject;
  stringifySequence(obj: SequenceObject): string;
  incrementSequence(seq: string | SequenceObject, seqTime?: number): string;
  partitionKeyToHashKey(partitionKey: string): Num;
}
type KinesaliteFactory = (options: Record<string, number>) => Server;

const KINESALITE_DIR = dirname(require.resolve('kinesalite/package.json')) + sep;
const { useBigIntInKinesalite } = require('../../../local/env/servers/kinesalite-bigint.cjs') as { useBigIntInKinesalite: () => () => void };
const BigIntNumber = require('../../../local/env/servers/bigint-number.cjs') as NumClass;
const BigNumber = require(require.resolve('bignumber.js', { paths: [KINESALITE_DIR] })) as NumClass;

/** A fresh copy of a kinesalite module, with bignumber.js or with the redirect; later loads start fresh again. */
function loadKinesalite<T>(request: string, withBigInt: boolean): T {
  const forget = (): void => {
    for (const key of Object.keys(require.cache)) {
      if (key.startsWith(KINESALITE_DIR) && !key.startsWith(`${KINESALITE_DIR}node_modules${sep}`)) delete require.cache[key];
    }
  };
  forget();
  const undo = withBigInt ? useBigIntInKinesalite() : (): void => undefined;
  try {
    return require(request) as T;
  } finally {
    undo();
    forget();
  }
}


function hexDigits(random: () => number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += Math.floor(random() * 16).toString(16);
  return out;
}

function decimalDigits(random: () => number, length: number): string {
  let out = String(1 + Math.floor(random() * 9));
  for (let i = 1; i < length; i++) out += String(Math.floor(random() * 10));
  return out;
}

/** What a call gave: its value, or the message it threw. */
function outcome<T>(call: () => T): { value: T } | { error: string } {
  try {
    return { value: call() };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** Shard hash ranges as kinesalite's createStream computes them. */
function shardRanges(Num: NumClass, shardCount: number): { start: string; end: string }[] {
  const pow128 = new Num(2).pow(128);
  const shardHash = pow128.div(shardCount).integerValue(Num.ROUND_FLOOR);
  return Array.from({ length: shardCount }, (_, i) => ({
    start: shardHash.times(i).toFixed(),
    end: (i < shardCount - 1 ? shardHash.times(i + 1) : pow128).minus(1).toFixed(),
  }));
}

/** kinesalite's PutRecord(s) on an ExplicitHashKey: the error check, then the shard whose range holds it. */
function placeExplicitKey(Num: NumClass, key: string, ranges: { start: string; end: string }[]): string | number {
  const hashKey = new Num(key);
  if ((hashKey.comparedTo(0) as number) < 0 || (hashKey.comparedTo(new Num(2).pow(128)) as number) >= 0) return 'InvalidArgumentException';
  return ranges.findIndex((r) => (hashKey.comparedTo(r.start) as number) >= 0 && (hashKey.comparedTo(r.end) as number) <= 0);
}

/**
 * Strings kinesalite's input patterns let through although they are no plain integer: its patterns
 * (`0|([1-9]\d{0,38})` and the like) are anchored on one side each, so anything starting with 0 or
 * ending in digits passes. bignumber.js reads some as fractions, hex or exponents and the rest as NaN.
 */
const ODD_NUMBERS = [
  '0', '00', '000123', '-0', '-00', '-1', '-340282366920938463463374607431768211456', '0.5', '123.5', '1.0', '.5e1', '0.5e1',
  '1e38', '1e39', '3.4e38', '0x10', '0xff', '0xfg1', '0b101', '0o17', '0x', ' 5', '5 ', '+5', ' +5', 'abc1', '0abc', '0-1',
  'Infinity1', '-Infinity', 'NaN', '0NaN', '1-2', '12a3', '9'.repeat(129), `0.${'9'.repeat(40)}`, '0e-5', '0.0000001', '1e-7',
];

describe('Module: local/env/servers/bigint-number (bignumber.js on BigInt for kinesalite)', () => {
  describe('Class: BigIntNumber beside bignumber.js', () => {
    it('splits the hash key space into the same shard ranges', () => {
      for (const shardCount of [1, 2, 3, 4, 5, 6, 7, 10, 16, 17, 100, 999, 1000]) {
        // Act
        const ours = shardRanges(BigIntNumber, shardCount);
        const theirs = shardRanges(BigNumber, shardCount);

        // Assess
        expect(ours, `${shardCount} shards`).to.deep.equal(theirs);
      }
    });

    it('places random 128-bit hash keys, range edges and the ends of the space in the same shards', () => {
      // Prepare
      const random = seeded(1);
      const ranges = shardRanges(BigNumber, 7);
      const edges = ranges.flatMap((r) => [r.start, r.end]).flatMap((edge) => [-1, 0, 1].map((d) => new BigNumber(edge).plus(d).toString(16)));
      const keys = [...Array.from({ length: 3000 }, () => hexDigits(random, 32)), ...edges.filter((hex) => !hex.startsWith('-')), '0', '0'.repeat(32), 'f'.repeat(32), 'F'.repeat(32)];

      for (const hex of keys) {
        // Act
        const ours = new BigIntNumber(hex, 16);
        const theirs = new BigNumber(hex, 16);

        // Assess
        expect(ours.toFixed(), hex).to.equal(theirs.toFixed());
        expect(ours.toString(16), hex).to.equal(theirs.toString(16));
        for (const r of ranges) {
          expect([ours.comparedTo(r.start), ours.comparedTo(r.end)], hex).to.deep.equal([theirs.comparedTo(r.start), theirs.comparedTo(r.end)]);
        }
      }
    });

    it('answers the same for explicit hash keys, plain, random and odd ones', () => {
      // Prepare
      const random = seeded(2);
      const ranges = shardRanges(BigNumber, 5);
      const keys = [...ODD_NUMBERS, '340282366920938463463374607431768211455', '340282366920938463463374607431768211456', ...Array.from({ length: 1000 }, () => decimalDigits(random, 1 + Math.floor(random() * 39)))];

      for (const key of keys) {
        // Act
        const ours = outcome(() => placeExplicitKey(BigIntNumber, key, ranges));
        const theirs = outcome(() => placeExplicitKey(BigNumber, key, ranges));

        // Assess
        expect(ours, JSON.stringify(key)).to.deep.equal(theirs);
        expect(new BigIntNumber(key).toFixed(), JSON.stringify(key)).to.equal(new BigNumber(key).toFixed());
      }
    });

    it('does the arithmetic kinesalite does, on integers and on what is not one', () => {
      // Prepare
      const operands: unknown[] = [0, 1, 2, 16, 1.5, -3, 7, '12345678901234567890123456789', '0.5', 'NaN', '-0', new BigNumber(2).pow(185)];

      for (const a of operands) {
        for (const b of operands) {
          // Act
          const run = (Num: NumClass): unknown => {
            const x = new Num(a instanceof Object ? (a as Num).toFixed() : a);
            const y = b instanceof Object ? new Num((b as Num).toFixed()) : b;
            return [
              outcome(() => x.times(y).toFixed()),
              outcome(() => x.plus(y).toFixed()),
              outcome(() => x.minus(y).toFixed()),
              outcome(() => x.div(y).toFixed()),
              outcome(() => x.div(y).integerValue(Num.ROUND_FLOOR).toFixed()),
              outcome(() => [x.comparedTo(y), x.eq(y), x.lt(y), x.lte(y), x.gt(y), x.gte(y)]),
              outcome(() => x.toString(16)),
              outcome(() => x.toString()),
              outcome(() => x.pow(typeof b === 'number' ? b : 2).toFixed()),
            ];
          };

          // Assess
          expect(run(BigIntNumber), `${String(a)} and ${String(b)}`).to.deep.equal(run(BigNumber));
        }
      }
    });
  });

  describe("Module: kinesalite's db functions, loaded with each", () => {
    const realDb = loadKinesalite<KinesaliteDb>('kinesalite/db', false);
    const bigIntDb = loadKinesalite<KinesaliteDb>('kinesalite/db', true);

    it('is loaded through the redirect only when asked', () => {
      // Assess
      expect(bigIntDb.partitionKeyToHashKey('user-1')).to.be.instanceOf(BigIntNumber);
      expect(realDb.partitionKeyToHashKey('user-1')).to.be.instanceOf(BigNumber);
      expect(loadKinesalite<KinesaliteDb>('kinesalite/db', false).partitionKeyToHashKey('user-1')).to.be.instanceOf(BigNumber);
    });

    it('gives the same hash key for random partition keys', () => {
      // Prepare
      const random = seeded(3);
      const ranges = shardRanges(BigNumber, 4);

      for (let i = 0; i < 3000; i++) {
        const key = hexDigits(random, 1 + Math.floor(random() * 40));

        // Act
        const ours = bigIntDb.partitionKeyToHashKey(key);
        const theirs = realDb.partitionKeyToHashKey(key);

        // Assess
        expect(ours.toFixed(), key).to.equal(theirs.toFixed());
        expect(ranges.map((r) => [ours.comparedTo(r.start), ours.comparedTo(r.end)]), key).to.deep.equal(ranges.map((r) => [theirs.comparedTo(r.start), theirs.comparedTo(r.end)]));
      }
    });

    it('writes, reads and increments sequence numbers of each version alike', () => {
      // Prepare
      const random = seeded(4);
      const int = (below: number): number => Math.floor(random() * below);
      for (let i = 0; i < 3000; i++) {
        const version = [undefined, 2, 1, 0][i % 4];
        const seq: SequenceObject = {
          shardCreateTime: int(2 ** 35) * 1000 + (i % 7 === 0 ? int(1000) : 0),
          seqIx: i % 3 === 0 ? new BigNumber(hexDigits(random, 15), 16).toFixed() : i % 3 === 1 ? int(2 ** 53) : int(1000),
          seqTime: i % 5 === 0 ? undefined : int(2 ** 35) * 1000,
          shardIx: i % 11 === 0 ? undefined : int(2 ** 31),
          byte1: i % 2 === 0 ? undefined : hexDigits(random, 2),
          seqRand: i % 2 === 0 ? undefined : hexDigits(random, version === 0 ? 16 : 14),
          ...(version === undefined ? {} : { version }),
        };

        // Act
        const ours = outcome(() => bigIntDb.stringifySequence(seq));
        const theirs = outcome(() => realDb.stringifySequence(seq));

        // Assess
        expect(ours, JSON.stringify(seq)).to.deep.equal(theirs);
        if ('value' in theirs) {
          expect(outcome(() => bigIntDb.parseSequence(theirs.value)), theirs.value).to.deep.equal(outcome(() => realDb.parseSequence(theirs.value)));
          expect(outcome(() => bigIntDb.incrementSequence(theirs.value)), theirs.value).to.deep.equal(outcome(() => realDb.incrementSequence(theirs.value)));
        }
      }
    });

    it('reads random, boundary and odd sequence numbers alike, errors included', () => {
      // Prepare
      const random = seeded(5);
      const boundaries = [new BigNumber(2).pow(124), new BigNumber(2).pow(125).times(16), new BigNumber(2).pow(185), new BigNumber(2).pow(185).times(1.5)];
      const nearBoundaries = boundaries.flatMap((b) => [-2, -1, 0, 1, 2, 1e6].map((d) => b.plus(d).toFixed()));
      const random47HexDigits = Array.from({ length: 1000 }, () => new BigNumber(`2${hexDigits(random, 45)}2`, 16).toFixed());
      const randomDecimals = Array.from({ length: 1000 }, () => decimalDigits(random, 1 + Math.floor(random() * 129)));
      const fractionsOfVersionTwo = random47HexDigits.slice(0, 50).flatMap((s) => [`${s}.125`, `${s}.0625`, `${s}.5`]);

      for (const seq of [...ODD_NUMBERS, ...nearBoundaries, ...random47HexDigits, ...randomDecimals, ...fractionsOfVersionTwo]) {
        // Act
        const ours = outcome(() => bigIntDb.parseSequence(seq));
        const theirs = outcome(() => realDb.parseSequence(seq));

        // Assess
        expect(ours, seq).to.deep.equal(theirs);
      }
    });
  });

  describe('Module: kinesalite, one server with each, the same calls', () => {
    const realServer = loadKinesalite<KinesaliteFactory>('kinesalite', false)({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100 });
    const bigIntServer = loadKinesalite<KinesaliteFactory>('kinesalite', true)({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100 });
    const realNow = Date.now;
    // Both servers see one clock, moved on between calls only, so sequence numbers and iterators can match.
    let clock = Math.floor(realNow() / 1000) * 1000;

    before(async () => {
      Date.now = () => clock;
      await Promise.all([realServer, bigIntServer].map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))));
    });

    after(async () => {
      Date.now = realNow;
      await Promise.all(
        [realServer, bigIntServer].map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              // fetch keeps its connections alive; close would wait for them.
              server.closeAllConnections();
            }),
        ),
      );
    });

    async function call(server: Server, operation: string, body: unknown): Promise<{ status: number; body: unknown }> {
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': `Kinesis_20131202.${operation}`,
          'x-amz-date': '20260101T000000Z',
          authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=0',
        },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      // Some calls (CreateStream, SplitShard) answer with an empty body.
      return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
    }

    /** The call on both servers at the same clock; their answers must be equal. */
    async function both(operation: string, body: unknown): Promise<{ status: number; body: unknown }> {
      clock += 1000;
      const theirs = await call(realServer, operation, body);
      const ours = await call(bigIntServer, operation, body);
      expect(ours, `${operation} ${JSON.stringify(body)}`).to.deep.equal(theirs);
      return theirs;
    }

    async function untilActive(streamName: string): Promise<void> {
      const deadline = realNow() + 5000;
      for (;;) {
        const answers = await Promise.all([realServer, bigIntServer].map((server) => call(server, 'DescribeStreamSummary', { StreamName: streamName })));
        if (answers.every((a) => (a.body as { StreamDescriptionSummary?: { StreamStatus?: string } }).StreamDescriptionSummary?.StreamStatus === 'ACTIVE')) return;
        if (realNow() > deadline) throw new Error(`stream ${streamName} not ACTIVE on both servers within 5 s: ${JSON.stringify(answers)}`);
        await new Promise((resolve) => setImmediate(resolve));
      }
    }

    it('answers puts, reads, sequence numbers, splits and merges alike, errors included', async () => {
      // Prepare
      const stream = 'bigint-ab';
      await both('CreateStream', { StreamName: stream, ShardCount: 3 });
      await untilActive(stream);
      const random = seeded(6);
      const data = Buffer.from('record').toString('base64');

      // Act, Assess (each call compares the two answers)
      const put = await both('PutRecords', {
        StreamName: stream,
        Records: Array.from({ length: 300 }, (_, i) => ({ Data: data, PartitionKey: `user-${i}` })),
      });
      for (const key of [...ODD_NUMBERS.filter((k) => /^0|[1-9]\d{0,38}$/.test(k)), '340282366920938463463374607431768211455', '113427455640312821154458202477256070485']) {
        await both('PutRecord', { StreamName: stream, Data: data, PartitionKey: 'p', ExplicitHashKey: key });
        await both('PutRecords', { StreamName: stream, Records: [{ Data: data, PartitionKey: 'p', ExplicitHashKey: key }] });
      }
      const firstSequence = (put.body as { Records: { SequenceNumber: string }[] }).Records[0]!.SequenceNumber;
      const sequences = [firstSequence, ...ODD_NUMBERS.filter((k) => /^0|[1-9]\d{0,128}$/.test(k)), `${firstSequence}.125`, new BigNumber(firstSequence).plus(1).toFixed()];
      for (const seq of sequences) await both('PutRecord', { StreamName: stream, Data: data, PartitionKey: 'q', SequenceNumberForOrdering: seq });
      const shards = ((await both('ListShards', { StreamName: stream })).body as { Shards: { ShardId: string }[] }).Shards;
      for (const { ShardId } of shards) {
        for (const seq of sequences) {
          for (const type of ['AT_SEQUENCE_NUMBER', 'AFTER_SEQUENCE_NUMBER']) {
            await both('GetShardIterator', { StreamName: stream, ShardId, ShardIteratorType: type, StartingSequenceNumber: seq });
          }
        }
        let iterator = ((await both('GetShardIterator', { StreamName: stream, ShardId, ShardIteratorType: 'TRIM_HORIZON' })).body as { ShardIterator?: string }).ShardIterator;
        for (let page = 0; iterator !== undefined && page < 3; page++) {
          iterator = ((await both('GetRecords', { ShardIterator: iterator, Limit: 100 })).body as { NextShardIterator?: string }).NextShardIterator;
        }
      }
      // A split at 123.5 leaves fractional hash ranges, which later puts and the merge compare against.
      const [first, second, third] = shards as [{ ShardId: string }, { ShardId: string }, { ShardId: string }];
      for (const [shard, key] of [[first, '0'], [first, '1'], [first, '123.5'], [second, '0x10'], [third, new BigNumber(2).pow(128).times(5).div(6).integerValue(BigNumber.ROUND_FLOOR).toFixed()]] as const) {
        await both('SplitShard', { StreamName: stream, ShardToSplit: shard.ShardId, NewStartingHashKey: key });
        await untilActive(stream);
      }
      // Not 123 or 122.7: they fall between the two ranges, where kinesalite (with either) throws and its process dies.
      const explicitKeys = ['0', '16', '121', '122', '124', '0.5', '122.5', '123.5', '0x7c'];
      await both('PutRecords', {
        StreamName: stream,
        Records: [...explicitKeys.map((key) => ({ Data: data, PartitionKey: 'p', ExplicitHashKey: key })), ...Array.from({ length: 100 }, (_, i) => ({ Data: data, PartitionKey: `user-${i}-${hexDigits(random, 4)}` }))],
      });
      const afterSplits = ((await both('ListShards', { StreamName: stream })).body as { Shards: { ShardId: string; SequenceNumberRange: { EndingSequenceNumber?: string } }[] }).Shards;
      const open = afterSplits.filter((s) => s.SequenceNumberRange.EndingSequenceNumber === undefined);
      await both('MergeShards', { StreamName: stream, ShardToMerge: open[0]!.ShardId, AdjacentShardToMerge: open[2]!.ShardId });
      await both('MergeShards', { StreamName: stream, ShardToMerge: open[0]!.ShardId, AdjacentShardToMerge: open[1]!.ShardId });
      await untilActive(stream);
      await both('PutRecords', { StreamName: stream, Records: Array.from({ length: 100 }, (_, i) => ({ Data: data, PartitionKey: `user-${i}` })) });
      await both('DescribeStream', { StreamName: stream });
    });
  });
});
