import { expect } from 'chai';
import { millisBehindLatest } from '../../../shared/kinesis/index.js';
import type { ShardMetrics } from '../../../shared/kinesis/index.js';
import { lagMetric } from '../../../workers/lib/lag-metric.js';
import { METRIC_ROLE_DIMENSION, METRIC_STACK_DIMENSION, PIPELINE_METRICS } from '../../../shared/metrics.js';

function shard(overrides: Partial<ShardMetrics>): ShardMetrics {
  return {
    shardId: 'shardId-000000000000',
    state: 'reading',
    recordsPerSecond: 0,
    recordsProcessed: 0,
    millisBehindLatest: 0,
    lastReadAt: 0,
    checkpointsWritten: 0,
    checkpoint: 'TRIM_HORIZON',
    recordsInFlight: 0,
    batchesInFlight: 0,
    batchRetries: 0,
    poisonRecords: 0,
    getRecordsCalls: 0,
    readBy: 'GetRecords',
    subscriptions: 0,
    throttled: 0,
    expiredIterators: 0,
    ...overrides,
  };
}

describe('Function: millisBehindLatest', () => {
  it('takes the worst shard: its last answer behind the tip plus the time since that answer', () => {
    // Prepare
    const now = 100_000;
    const shards = [shard({ millisBehindLatest: 2_000, lastReadAt: now - 300 }), shard({ shardId: 'b', millisBehindLatest: 0, lastReadAt: now - 5_000 })];

    // Act / Assess: a shard not read for five seconds is at least five seconds behind
    expect(millisBehindLatest({ shards }, now)).to.equal(5_000);
  });

  it('grows while a worker holds a shard and stops reading it', () => {
    const stuck = { shards: [shard({ millisBehindLatest: 0, lastReadAt: 0 })] };
    expect(millisBehindLatest(stuck, 60_000)).to.be.greaterThan(millisBehindLatest(stuck, 1_000));
  });

  it('counts a subscribed shard behind only once it has been silent for longer than an idle shard\'s events are apart', () => {
    // Prepare
    const now = 100_000;
    const subscribed = (silentMs: number) => ({ shards: [shard({ readBy: 'SubscribeToShard', millisBehindLatest: 0, lastReadAt: now - silentMs })] });

    // Act / Assess: an idle shard's events come 5 s apart; past that, every second of silence counts
    expect(millisBehindLatest(subscribed(4_000), now)).to.equal(0);
    expect(millisBehindLatest(subscribed(12_000), now)).to.equal(7_000);
  });

  it('is 0 for a worker that reads no shard, or only shards waiting for their parents or never read', () => {
    const shards = [shard({ state: 'waiting-for-parents', lastReadAt: 0 }), shard({ lastReadAt: undefined, millisBehindLatest: undefined })];
    expect(millisBehindLatest({ shards: [] }, 1_000)).to.equal(0);
    expect(millisBehindLatest({ shards }, 1_000)).to.equal(0);
  });
});

describe('Function: lagMetric', () => {
  it('writes MillisBehindLatest in milliseconds as EMF with dimensions Stack and Role', async () => {
    // Prepare
    const lines: string[] = [];
    const metric = lagMetric({
      env: { METRICS_ENABLED: true, METRICS_NAMESPACE: 'Test', INSIGHTS_STACK: 'dev' },
      role: 'stream-reader',
      consumerMetrics: () => ({ shards: [shard({ millisBehindLatest: 1_500, lastReadAt: 10_000 })] }),
      now: () => 10_250,
      write: (line) => lines.push(line),
    });

    // Act
    await metric.close();

    // Assess
    const line = JSON.parse(lines[0] ?? '{}') as { _aws: { CloudWatchMetrics: { Dimensions: string[][]; Metrics: unknown[] }[] } } & Record<string, unknown>;
    expect(line._aws.CloudWatchMetrics[0]?.Dimensions).to.deep.equal([[METRIC_STACK_DIMENSION, METRIC_ROLE_DIMENSION]]);
    expect(line._aws.CloudWatchMetrics[0]?.Metrics).to.deep.equal([{ Name: PIPELINE_METRICS.millisBehindLatest, Unit: 'Milliseconds' }]);
    expect(line).to.include({ [METRIC_STACK_DIMENSION]: 'dev', [METRIC_ROLE_DIMENSION]: 'stream-reader', [PIPELINE_METRICS.millisBehindLatest]: 1_750 });
  });
});
