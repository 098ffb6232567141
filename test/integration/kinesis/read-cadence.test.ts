import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { expect } from 'chai';
import { shardReadsOf } from '../../../local/env/front/limits/capacity-report.js';
import { KINESIS_SHARD_LIMITS } from '../../../local/env/front/limits/kinesis-limits.js';
import { ShardConsumer, ShardReadBudget } from '../../../shared/kinesis/index.js';
import { silentLogger } from '../../../shared/logger.js';
import type { KinesisFixture } from './helpers.js';
import { FAST_LEASES, kinesisFixture } from './helpers.js';

/** How long the steady load runs: long enough for the per-second figures to settle. */
const STEADY_MS = 8_000;
/** Puts per second; each carries a tenth of the shard's write limit. */
const PUTS_PER_SECOND = 10;

describe('Read cadence: the raw stream\'s readers at a steady 1,000 records/s per shard', function () {
  this.timeout(90_000);
  let fx: KinesisFixture;
  const consumers: ShardConsumer[] = [];

  afterEach(async () => {
    await Promise.all(consumers.map((c) => c.close()));
    await fx?.cleanup();
  });

  it('stays within five GetRecords calls a second per shard with the stream-reader and Firehose reading, and none is throttled', async () => {
    // Prepare: the stream-reader's and the Firehose stand-in's shares, through the limits-enforcing front
    fx = await kinesisFixture(1);
    let read = 0;
    for (const [application, share] of [
      ['stream-reader', ShardReadBudget.streamReader],
      ['firehose', ShardReadBudget.firehose],
    ] as const) {
      const consumer = new ShardConsumer({
        ...FAST_LEASES,
        kinesis: fx.kinesis,
        dynamodb: fx.dynamodb,
        streamName: fx.streamName,
        leaseTableName: fx.leaseTableName,
        applicationName: `${fx.applicationName}-${application}`,
        logger: silentLogger(),
        maxGetRecordsPerSecond: share,
        processRecords: (records) => {
          read += records.length;
          return Promise.resolve();
        },
        onPoisonRecord: () => Promise.resolve(),
      });
      consumers.push(consumer);
      await consumer.start();
    }
    const perPut = KINESIS_SHARD_LIMITS.writeRecords / PUTS_PER_SECOND;

    // Act: 1,000 records a second, as ten puts of 100
    const started = Date.now();
    let written = 0;
    for (let tick = 0; Date.now() - started < STEADY_MS; tick++) {
      const records = Array.from({ length: perPut }, (_, i) => ({ PartitionKey: `user-${tick}-${i}`, Data: Buffer.from(JSON.stringify({ tick, i, pad: 'x'.repeat(400) })) }));
      const answer = await fx.producer.send(new PutRecordsCommand({ StreamName: fx.streamName, Records: records }));
      written += records.length - (answer.FailedRecordCount ?? 0);
      const due = started + ((tick + 1) * 1000) / PUTS_PER_SECOND;
      await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
    }
    const deadline = Date.now() + 10_000;
    while (read < written * 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const reads = shardReadsOf(await fx.env.front!.stats()).filter((s) => s.shard.startsWith(`${fx.streamName}/`));

    // Assess
    console.log(`      ${written} records in ${STEADY_MS / 1000} s; ${reads.map((s) => `${s.shard.split('/')[1]}: ${s.getRecordsCallsPerSecond} GetRecords calls/s (peak ${s.peakCallsPerSecond} in a second), ${s.throttledReads} throttled reads, ${s.throttledRecords} throttled writes`).join('; ')}`);
    expect(read, 'both readers read every record').to.equal(written * 2);
    expect(reads).to.have.length(1);
    expect(reads[0]?.throttledReads).to.equal(0);
    expect(reads[0]?.peakCallsPerSecond).to.be.at.most(KINESIS_SHARD_LIMITS.readCalls);
  });
});
