import { expect } from 'chai';
import { DescribeStreamSummaryCommand, ListShardsCommand, MergeShardsCommand, SplitShardCommand } from '@aws-sdk/client-kinesis';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { STREAM_READER_APPLICATION } from '../../workers/stream-reader/stream-reader.js';
import { leasesOf } from './harness/leases.js';
import { runScenario, syntheticLines } from './harness/scenario.js';

/** A checkpoint that is a sequence number: records of the shard were processed, not only leased. */
const isSequenceNumber = (checkpoint: string | undefined): boolean => checkpoint !== undefined && /^\d+$/.test(checkpoint);

/** Waits until the stream-reader checkpointed records of every one of `shardIds`; throws naming those without after `timeoutMs`. */
async function untilReadFrom(dynamodb: DynamoDBClient, leaseTable: string, shardIds: readonly string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const leases = await leasesOf(dynamodb, leaseTable, STREAM_READER_APPLICATION);
    const unread = shardIds.filter((id) => !isSequenceNumber(leases.find((l) => l.leaseKey === id)?.checkpoint));
    if (unread.length === 0) return;
    if (Date.now() > deadline) throw new Error(`no records of ${unread.join(', ')} were checkpointed within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function untilActive(kinesis: KinesisClient, streamName: string): Promise<void> {
  for (;;) {
    const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    if (summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function openShards(kinesis: KinesisClient, streamName: string): Promise<{ id: string; start: bigint; end: bigint }[]> {
  const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  return (Shards ?? [])
    .filter((s) => s.SequenceNumberRange?.EndingSequenceNumber === undefined)
    .map((s) => ({ id: s.ShardId!, start: BigInt(s.HashKeyRange!.StartingHashKey!), end: BigInt(s.HashKeyRange!.EndingHashKey!) }))
    .sort((a, b) => (a.start < b.start ? -1 : 1));
}

describe('Fault suite', function () {
  this.timeout(300_000);

  describe('Scenario: a shard split and two shards merged while records flow', function () {
    it('reads parents before children and loses nothing', async function () {
      // Prepare
      const lines = syntheticLines(1000, 6006);

      // Act
      const { row, expected } = await runScenario({
        name: 'split raw shard + merge results shards',
        lines,
        perSecond: 60,
        shards: { raw: 1, results: 2 },
        inject: async ({ env, clients, waitForInView, fault, details, log }) => {
          const { kinesis } = clients;
          const raw = env.names.streams.raw;
          const results = env.names.streams.results;
          await waitForInView(100);
          const at = Date.now();
          const [parent] = await openShards(kinesis, raw);
          await kinesis.send(new SplitShardCommand({ StreamName: raw, ShardToSplit: parent!.id, NewStartingHashKey: String((parent!.start + parent!.end + 1n) / 2n) }));
          await untilActive(kinesis, raw);
          log(`split ${raw} ${parent!.id}`);
          // Records flow through both children before the results stream changes too.
          const children = (await openShards(kinesis, raw)).map((s) => s.id);
          await untilReadFrom(clients.dynamodb, env.names.tables.leases, children, 60_000);
          log(`read from both children ${children.join(', ')}`);
          const [left, right] = await openShards(kinesis, results);
          await kinesis.send(new MergeShardsCommand({ StreamName: results, ShardToMerge: left!.id, AdjacentShardToMerge: right!.id }));
          await untilActive(kinesis, results);
          fault(at);
          log(`merged ${results} ${left!.id} + ${right!.id}`);
          details['rawShards'] = `1→${(await openShards(kinesis, raw)).length}`;
          details['resultsShards'] = `2→${(await openShards(kinesis, results)).length}`;
        },
      });

      // Assess
      expect(row.details['rawShards']).to.equal('1→2');
      expect(row.details['resultsShards']).to.equal('2→1');
      expect(row.inView).to.equal(expected.accepted.size);
      expect(row.lost).to.equal(0);
      expect(row.doubleCounted).to.equal(0);
    });
  });
});
