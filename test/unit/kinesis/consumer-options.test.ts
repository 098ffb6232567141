import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { expect } from 'chai';
import { InvalidOptionError, ShardConsumer } from '../../../shared/kinesis/index.js';
import type { ShardConsumerOptions } from '../../../shared/kinesis/index.js';
import { resolveConsumerOptions } from '../../../shared/kinesis/consumer-options.js';
import { parseWorkerEnv } from '../../../shared/worker-env.js';

/** The projector's required variables, READ_IDLE_MS left to its default. */
const PROJECTOR_ENV = { INSIGHTS_STACK: 'unit', LEASE_TABLE_NAME: 'l', RESULTS_STREAM_NAME: 'r', RESULTS_HISTORY_STREAM_NAME: 'rh', RESULTS_CONSUMER_ARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/r/consumer/projector:1', VIEW_TABLE_NAME: 'v', REJECTS_TABLE_NAME: 'x' };

const BASE: ShardConsumerOptions = {
  kinesis: new KinesisClient({ region: 'us-east-1' }),
  dynamodb: new DynamoDBClient({ region: 'us-east-1' }),
  streamName: 'stream',
  leaseTableName: 'leases',
  applicationName: 'app',
  processRecords: async () => undefined,
  onPoisonRecord: async () => undefined,
};

describe('Function: resolveConsumerOptions', () => {
  it('derives renewal and pass intervals from the failover time, and keeps documented defaults', () => {
    // Act
    const resolved = resolveConsumerOptions({ ...BASE, failoverTimeMs: 9_000, idleTimeBetweenReadsMs: undefined });

    // Assess
    expect(resolved).to.include({ renewIntervalMs: 3_000, leasePassIntervalMs: 3_000, initialPosition: 'TRIM_HORIZON', maxInFlightBatches: 1, checkpointIntervalMs: 1_000 });
    expect(resolved.workerId).to.match(/-\d+-[0-9a-f]{8}$/);
  });

  it("waits on a caught-up shard as long as the worker contract's READ_IDLE_MS default, so the two cannot drift apart", () => {
    // Act
    const resolved = resolveConsumerOptions({ ...BASE, idleTimeBetweenReadsMs: undefined });

    // Assess
    expect(resolved.idleTimeBetweenReadsMs).to.equal(parseWorkerEnv('projector', PROJECTOR_ENV).READ_IDLE_MS);
  });

  it('names the option that is wrong', () => {
    // Prepare
    const cases: [Partial<ShardConsumerOptions>, string][] = [
      [{ streamName: '' }, 'streamName'],
      [{ maxRecordsPerCall: 10_001 }, 'maxRecordsPerCall'],
      [{ failoverTimeMs: 1_000, renewIntervalMs: 1_000 }, 'renewIntervalMs'],
      [{ maxInFlightBatches: 0 }, 'maxInFlightBatches'],
      [{ checkpointIntervalMs: -1 }, 'checkpointIntervalMs'],
      [{ initialPosition: 'AT_TIMESTAMP' as 'LATEST' }, 'initialPosition'],
      [{ fanOut: { consumerArn: 'arn:aws:kinesis:us-east-1:0:stream/stream', kinesis: BASE.kinesis } }, 'fanOut.consumerArn'],
      [{ fanOut: { consumerArn: 'arn:aws:kinesis:us-east-1:0:stream/other/consumer/c:1', kinesis: BASE.kinesis } }, 'fanOut.consumerArn'],
    ];

    // Act
    const options = cases.map(([override]) => {
      try {
        new ShardConsumer({ ...BASE, ...override });
        return undefined;
      } catch (error) {
        expect(error).to.be.instanceOf(InvalidOptionError);
        return (error as InvalidOptionError).option;
      }
    });

    // Assess
    expect(options).to.deep.equal(cases.map(([, option]) => option));
  });
});

describe('Class: ShardConsumer', () => {
  describe('Method: close', () => {
    it('resolves, and returns the same promise, when the consumer never started', async () => {
      // Prepare
      const consumer = new ShardConsumer(BASE);

      // Act
      const first = consumer.close();

      // Assess
      expect(consumer.close()).to.equal(first);
      await first;
      expect(consumer.metrics()).to.include({ leasesHeld: 0, recordsProcessed: 0 });
      await consumer.start().then(
        () => expect.fail('start after close'),
        (error: Error) => expect(error.name).to.equal('ConsumerStateError'),
      );
    });
  });
});
