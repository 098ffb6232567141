import { expect } from 'chai';
import { ShardSubscription } from '../../../local/env/front/fan-out/shard-subscription.js';
import type { UpstreamKinesis } from '../../../local/env/front/fan-out/upstream-kinesis.js';

const KIB = 1024;

/** A shard of `count` records of `bytes` each, read as kinesalite answers GetRecords (base64 `Data`). */
function shardOf(count: number, bytes: number): UpstreamKinesis {
  const data = Buffer.alloc(bytes, 7).toString('base64');
  const records = Array.from({ length: count }, (_, n) => ({ SequenceNumber: String(n + 1), Data: data, PartitionKey: 'k' }));
  return {
    call: async (operation: string, input: { ShardIterator?: string; Limit?: number }) => {
      if (operation === 'GetShardIterator') return { ShardIterator: '0' };
      const from = Number(input.ShardIterator);
      const read = records.slice(from, from + (input.Limit ?? count));
      return { Records: read, NextShardIterator: String(from + read.length), MillisBehindLatest: 0 };
    },
  } as unknown as UpstreamKinesis;
}

/** Pulls a subscription's events until `records` records came, noting when each records event did. */
async function pushTimes(subscription: ShardSubscription, records: number): Promise<number[]> {
  const stop = new AbortController();
  const times: number[] = [];
  let seen = 0;
  for await (const _event of subscription.events(stop.signal)) {
    if (subscription.counts.records > seen) {
      seen = subscription.counts.records;
      times.push(Date.now());
    }
    if (seen >= records) stop.abort();
  }
  return times;
}

/** A subscription to a shard of six 32 KiB records from its start, pushing through a read pipe of `maxBytesPerSecond`. */
function subscriptionOf(options: { maxBytesPerSecond: number; maxRecordsPerEvent: number; lifetimeMs: number }): ShardSubscription {
  return new ShardSubscription({
    upstream: shardOf(6, 32 * KIB),
    streamName: 's',
    shardId: 'shardId-000000000000',
    start: { Type: 'TRIM_HORIZON' },
    idleReadMs: 50,
    idleEventMs: 5_000,
    ...options,
  });
}

describe('Class: ShardSubscription (the Kinesis front)', () => {
  it("pushes a backlog no faster than the consumer's read pipe: a second's worth at once, then at its rate", async () => {
    // Prepare: 64 KiB/s, events of two 32 KiB records; the first event is banked, the second runs into debt, the third waits the debt out
    const subscription = subscriptionOf({ lifetimeMs: 60_000, maxRecordsPerEvent: 2, maxBytesPerSecond: 64 * KIB });

    // Act
    const times = await pushTimes(subscription, 6);

    // Assess
    expect(times).to.have.length(3);
    expect((times[1] as number) - (times[0] as number)).to.be.lessThan(500);
    // Timers fire a millisecond or so early or late; the bucket's second is the floor.
    expect((times[2] as number) - (times[0] as number)).to.be.at.least(950);
    expect(subscription.counts).to.include({ records: 6, events: 3, pipeWaits: 1 });
  });

  it('ends at once when another subscription takes over while it waits for its read pipe, as AWS ends the older one', async () => {
    // Prepare: 1 KiB/s against 32 KiB records: the second event leaves a debt of about a minute
    const subscription = subscriptionOf({ lifetimeMs: 600_000, maxRecordsPerEvent: 1, maxBytesPerSecond: KIB });
    const events: Buffer[] = [];
    let endedAt = 0;

    // Act
    for await (const event of subscription.events(new AbortController().signal)) {
      events.push(event);
      if (subscription.counts.records === 1 && endedAt === 0) {
        endedAt = Date.now() + 100;
        setTimeout(() => subscription.end('ResourceInUseException', 'taken over'), 100);
      }
    }
    const closedAfterEnd = Date.now() - endedAt;

    // Assess: the debt was about 31 s; the stream closed with the exception long before it was paid
    expect(closedAfterEnd).to.be.lessThan(5_000);
    expect(subscription.counts.records).to.equal(1);
    expect((events[events.length - 1] as Buffer).toString('latin1')).to.include('ResourceInUseException');
  });
});
