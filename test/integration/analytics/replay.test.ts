import { expect } from 'chai';
import { gzipSync } from 'node:zlib';
import { Replayer } from '../../../workers/replay/index.js';
import { rawRecord } from '../../fixtures/analytics/archive-fixture.js';
import { brokerTransaction } from '../../helpers/factories.js';
import { readStream } from '../scorer/pipeline-fixture.js';
import type { AnalyticsStack } from './helpers.js';
import { streamPartitionKey } from '../../../shared/schemas/stream-partition-key.js';
import { analyticsStack, putArchiveObject, putRawArchiveBytes } from './helpers.js';

/** The key every producer of the raw stream uses: the user and the month of the transaction. */
const keyOf = (line: string): string => streamPartitionKey((JSON.parse(line) as { transaction: { userId: string; bookedAt: string } }).transaction);

function lines(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => JSON.stringify(rawRecord(brokerTransaction({ transactionId: `${prefix}-${i}`, userId: `user-${i % 5}` }))));
}

describe('Class: Replayer', function () {
  this.timeout(60_000);
  let s: AnalyticsStack;

  beforeEach(async () => {
    s = await analyticsStack({ rawStream: true });
  });
  afterEach(async () => {
    await s?.cleanup();
  });

  describe('Method: run', () => {
    it("puts exactly the window's archived records back on the history lane's raw stream, as archived, keyed by user and month, in arrival order", async () => {
      // Prepare: two objects in the window, one an hour later, one unreadable, and a line without a user.
      const early = lines('early', 30);
      const later = lines('later', 20);
      const outside = lines('outside', 10);
      await putArchiveObject(s, early, new Date('2026-11-25T10:05:00Z'));
      await putArchiveObject(s, [...later, '{"v":1,"transaction":{}}'], new Date('2026-11-25T10:40:00Z'));
      await putArchiveObject(s, outside, new Date('2026-11-25T11:00:00Z'));
      await putRawArchiveBytes(s, gzipSync('x').subarray(0, 5), new Date('2026-11-25T10:20:00Z'));
      const replayer = new Replayer({ s3: s.as('replay').s3, kinesis: s.as('replay').kinesis, rawArchiveBucket: s.names.buckets.rawArchive, streamName: s.names.streams.rawHistory });

      // Act
      const summary = await replayer.run({ from: new Date('2026-11-25T10:00:00Z'), to: new Date('2026-11-25T11:00:00Z'), rate: 5_000 });
      const onStream = await readStream(s.clients.kinesis, s.names.streams.rawHistory);

      // Assess
      const expected = [...early, ...later];
      expect(summary).to.deep.include({ objects: 3, records: expected.length + 1, put: expected.length, skipped: 1, ratePerSecond: 5_000 });
      expect(onStream.map((r) => r.data).sort()).to.deep.equal([...expected].sort());
      for (const record of onStream) expect(record.partitionKey).to.equal(keyOf(record.data));
      // Kinesis keeps order per partition key: each user-month's records arrive as they were archived.
      for (const key of new Set(expected.map(keyOf))) {
        expect(onStream.filter((r) => r.partitionKey === key).map((r) => r.data)).to.deep.equal(expected.filter((l) => keyOf(l) === key));
      }
    });

    it('puts the same records again when replayed again (the sinks, not replay, are idempotent) and paces to the shards without --rate', async () => {
      // Prepare
      const archived = lines('again', 15);
      await putArchiveObject(s, archived, new Date('2026-11-25T08:30:00Z'));
      const replayer = new Replayer({ s3: s.as('replay').s3, kinesis: s.as('replay').kinesis, rawArchiveBucket: s.names.buckets.rawArchive, streamName: s.names.streams.rawHistory });
      const window = { from: new Date('2026-11-25T08:00:00Z'), to: new Date('2026-11-25T09:00:00Z') };

      // Act
      const first = await replayer.run(window);
      const second = await replayer.run(window);
      const onStream = await readStream(s.clients.kinesis, s.names.streams.rawHistory);

      // Assess
      const capacity = await replayer.streamCapacity();
      expect(first.ratePerSecond).to.equal(capacity.recordsPerSecond);
      expect(second.put).to.equal(archived.length);
      expect(onStream.map((r) => r.data).sort()).to.deep.equal([...archived, ...archived].sort());
    });
  });
});
