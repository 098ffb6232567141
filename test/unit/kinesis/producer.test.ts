import { KinesisClient, ProvisionedThroughputExceededException, PutRecordsCommand, ResourceNotFoundException } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { InvalidRecordError, KinesisProducer, ProducerClosedError, PutRecordFailedError } from '../../../shared/kinesis/index.js';

// Only the AWS-side error branches are mocked here (throttling of whole calls, permanent errors,
// retries running out); batching and partial failures run against the emulator (integration).
describe('Class: KinesisProducer', () => {
  // Mocks this one instance: mocking the class would reach every KinesisClient in the mocha run.
  const kinesis = new KinesisClient({ region: 'us-east-1' });
  const kinesisMock = mockClient(kinesis);
  const fast = { kinesis, streamName: 'stream', backoffBaseMs: 1, backoffMaxMs: 2, lingerMs: 0 };

  afterEach(() => kinesisMock.reset());
  after(() => kinesisMock.restore());

  describe('Method: put', () => {
    it('retries a whole call refused with ProvisionedThroughputExceededException, then resolves', async () => {
      // Prepare
      kinesisMock
        .on(PutRecordsCommand)
        .rejectsOnce(new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} }))
        .resolves({ FailedRecordCount: 0, Records: [{ ShardId: 'shardId-000000000000', SequenceNumber: '1' }] });
      const producer = new KinesisProducer(fast);

      // Act
      const result = await producer.put({ data: 'x', partitionKey: 'k' });

      // Assess
      expect(result).to.deep.equal({ shardId: 'shardId-000000000000', sequenceNumber: '1' });
      expect(producer.counters()).to.include({ put: 1, retried: 1, throttled: 1, failed: 0, calls: 2 });
    });

    it('sends the throttled part of a call again as one call, not one call per entry', async () => {
      // Prepare: the first call has every other entry refused as a shard over its write limit.
      let call = 0;
      kinesisMock.on(PutRecordsCommand).callsFake((input: { Records: unknown[] }) => {
        call += 1;
        const throttle = (i: number): boolean => call === 1 && i % 2 === 0;
        const records = input.Records.map((_, i) =>
          throttle(i) ? { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded for shard' } : { ShardId: 'shardId-000000000000', SequenceNumber: `${call}-${i}` },
        );
        return { FailedRecordCount: records.filter((r) => 'ErrorCode' in r).length, Records: records };
      });
      const producer = new KinesisProducer({ ...fast, backoffBaseMs: 20, backoffMaxMs: 40, lingerMs: 5 });

      // Act
      await Promise.all(Array.from({ length: 200 }, (_, i) => producer.put({ data: `r${i}`, partitionKey: `user-${i}` })));

      // Assess: 100 throttled entries, one call for all of them
      expect(producer.counters()).to.include({ put: 200, throttled: 100, calls: 2 });
    });

    it('rejects with the error code after the last retry', async () => {
      // Prepare
      kinesisMock.on(PutRecordsCommand).resolves({ FailedRecordCount: 1, Records: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'Internal service failure.' }] });
      const producer = new KinesisProducer({ ...fast, maxRetries: 2 });

      // Act
      const error = await producer.put({ data: 'x', partitionKey: 'user-7' }).catch((e: unknown) => e);

      // Assess
      expect(error).to.be.instanceOf(PutRecordFailedError);
      expect(error).to.include({ partitionKey: 'user-7', errorCode: 'InternalFailure', attempts: 3 });
      expect(producer.counters()).to.include({ put: 0, retried: 2, failed: 1 });
    });

    it('does not retry a permanent error such as a missing stream', async () => {
      // Prepare
      kinesisMock.on(PutRecordsCommand).rejects(new ResourceNotFoundException({ message: 'Stream stream not found', $metadata: {} }));
      const producer = new KinesisProducer(fast);

      // Act
      const errors = await Promise.all([producer.put({ data: 'a', partitionKey: 'k1' }), producer.put({ data: 'b', partitionKey: 'k2' })].map((p) => p.catch((e: unknown) => e)));

      // Assess
      expect(errors.map((e) => (e as PutRecordFailedError).errorCode)).to.deep.equal(['ResourceNotFoundException', 'ResourceNotFoundException']);
      expect(kinesisMock.commandCalls(PutRecordsCommand)).to.have.length(1);
    });

    it('refuses a partition key Kinesis would refuse, and any record after close()', async () => {
      // Prepare
      const producer = new KinesisProducer(fast);
      await producer.close();

      // Act
      const empty = await new KinesisProducer(fast).put({ data: 'x', partitionKey: '' }).catch((e: unknown) => e);
      const long = await new KinesisProducer(fast).put({ data: 'x', partitionKey: 'k'.repeat(257) }).catch((e: unknown) => e);
      const closed = await producer.put({ data: 'x', partitionKey: 'k' }).catch((e: unknown) => e);

      // Assess
      expect(empty).to.be.instanceOf(InvalidRecordError);
      expect(long).to.be.instanceOf(InvalidRecordError);
      expect(closed).to.be.instanceOf(ProducerClosedError);
      expect(kinesisMock.commandCalls(PutRecordsCommand)).to.have.length(0);
    });
  });

  describe('Method: close', () => {
    it('flushes what is buffered and returns the same promise when called twice', async () => {
      // Prepare
      kinesisMock.on(PutRecordsCommand).callsFake((input: { Records: unknown[] }) => ({ FailedRecordCount: 0, Records: input.Records.map((_, i) => ({ ShardId: 's', SequenceNumber: String(i) })) }));
      const producer = new KinesisProducer({ ...fast, lingerMs: 60_000 });
      const put = producer.put({ data: 'x', partitionKey: 'k' });

      // Act
      const first = producer.close();
      const second = producer.close();
      await first;

      // Assess
      expect(second).to.equal(first);
      expect(await put).to.deep.equal({ shardId: 's', sequenceNumber: '0' });
    });
  });
});
