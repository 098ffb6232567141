import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { expect } from 'chai';
import { LeaseLostError } from '../../../shared/kinesis/index.js';
import { LeaseStore } from '../../../shared/kinesis/lease-store.js';
import { testStack, uniqueName } from '../../helpers/local-env.js';
import type { TestStack } from '../../helpers/local-env.js';

describe('Class: LeaseStore', function () {
  this.timeout(30_000);
  let own: TestStack;
  let dynamodb: DynamoDBClient;
  let tableName: string;
  let store: LeaseStore;
  let appB: string;

  // One stack's lease table, written as the stream-reader role; each test has applications of its own.
  before(async () => {
    own = await testStack();
    dynamodb = own.as('stream-reader').dynamodb;
    tableName = own.names.tables.leases;
  });

  beforeEach(() => {
    store = new LeaseStore(dynamodb, tableName, uniqueName('app-a'), 'stream-a');
    appB = uniqueName('app-b');
  });

  after(async () => own?.cleanup());

  describe('Method: create', () => {
    it('creates a lease once, keeps applications apart, and never overwrites', async () => {
      // Prepare
      const other = new LeaseStore(dynamodb, tableName, appB, 'stream-b');

      // Act
      const first = await store.create({ leaseKey: 'shardId-000000000001', checkpoint: 'TRIM_HORIZON', parentShardIds: ['shardId-000000000000'] });
      const again = await store.create({ leaseKey: 'shardId-000000000001', checkpoint: 'LATEST', parentShardIds: [] });
      const otherApp = await other.create({ leaseKey: 'shardId-000000000001', checkpoint: 'LATEST', parentShardIds: [] });

      // Assess
      expect([first, again, otherApp]).to.deep.equal([true, false, true]);
      expect(await store.list()).to.deep.equal([
        { leaseKey: 'shardId-000000000001', owner: undefined, counter: 0, checkpoint: 'TRIM_HORIZON', checkpointSubSequenceNumber: 0, parentShardIds: ['shardId-000000000000'], ownerSwitchesSinceCheckpoint: 0 },
      ]);
      expect((await other.list()).map((l) => l.checkpoint)).to.deep.equal(['LATEST']);
    });
  });

  describe('Method: take', () => {
    it('lets exactly one of two workers take a lease they both saw', async () => {
      // Prepare
      await store.create({ leaseKey: 's-1', checkpoint: 'TRIM_HORIZON', parentShardIds: [] });
      const [seen] = await store.list();

      // Act
      const outcomes = await Promise.all([store.take(seen!, 'worker-1'), store.take(seen!, 'worker-2')]);

      // Assess
      const winners = outcomes.filter((l) => l !== undefined);
      expect(winners).to.have.length(1);
      expect((await store.get('s-1'))?.owner).to.equal(winners[0]?.owner);
      expect((await store.get('s-1'))?.ownerSwitchesSinceCheckpoint).to.equal(1);
    });
  });

  describe('Method: renew', () => {
    it('raises LeaseLostError once another worker took the lease', async () => {
      // Prepare
      await store.create({ leaseKey: 's-1', checkpoint: 'TRIM_HORIZON', parentShardIds: [] });
      const mine = (await store.take((await store.get('s-1'))!, 'worker-1'))!;
      await store.take(mine, 'worker-2');

      // Act
      const error = await store.renew(mine, 'worker-1').catch((e: unknown) => e);

      // Assess
      expect(error).to.be.instanceOf(LeaseLostError);
      expect((error as LeaseLostError).leaseKey).to.equal('s-1');
      expect((await store.get('s-1'))?.owner).to.equal('worker-2');
    });

    it('counts a write whose response was lost (the retry fails its condition) as done', async () => {
      // Prepare
      await store.create({ leaseKey: 's-1', checkpoint: 'TRIM_HORIZON', parentShardIds: [] });
      const mine = (await store.take((await store.get('s-1'))!, 'worker-1'))!;
      const renewed = await store.renew(mine, 'worker-1');

      // Act: the same write again, as the SDK's retry of a call that had already succeeded
      const retried = await store.renew(mine, 'worker-1');

      // Assess
      expect(retried).to.deep.equal(renewed);
      expect((await store.get('s-1'))?.counter).to.equal(renewed.counter);
    });
  });

  describe('Method: checkpoint', () => {
    it('writes the checkpoint, resets owner switches, and with release frees the lease in the same write', async () => {
      // Prepare
      await store.create({ leaseKey: 's-1', checkpoint: 'TRIM_HORIZON', parentShardIds: [] });
      const mine = (await store.take((await store.get('s-1'))!, 'worker-1'))!;

      // Act
      const moved = await store.checkpoint(mine, 'worker-1', '49590338271490256608559692538361571095921575989136588898', false);
      const released = await store.checkpoint(moved, 'worker-1', 'SHARD_END', true);

      // Assess
      expect(moved).to.include({ owner: 'worker-1', ownerSwitchesSinceCheckpoint: 0 });
      expect(await store.get('s-1')).to.deep.equal(released);
      expect(released).to.include({ owner: undefined, checkpoint: 'SHARD_END', counter: mine.counter + 2 });
    });
  });

  describe('Method: deleteFinished', () => {
    it('deletes a lease only while it is SHARD_END', async () => {
      // Prepare
      await store.create({ leaseKey: 's-1', checkpoint: 'SHARD_END', parentShardIds: [] });
      await store.create({ leaseKey: 's-2', checkpoint: 'TRIM_HORIZON', parentShardIds: ['s-1'] });
      const [finished, open] = await store.list();

      // Act
      const deleted = await Promise.all([store.deleteFinished(finished!), store.deleteFinished({ ...open!, checkpoint: 'SHARD_END' })]);

      // Assess
      expect(deleted).to.deep.equal([true, false]);
      expect((await store.list()).map((l) => l.leaseKey)).to.deep.equal(['s-2']);
    });
  });
});
