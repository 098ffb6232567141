import { expect } from 'chai';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { LeaseAttribute } from '../../../shared/kinesis/index.js';
import { RejectCode } from '../../../shared/schemas/reject-codes.js';
import { RejectStore } from '../../../shared/rejects/reject-store.js';
import { ChangeKind } from '../../../shared/schemas/transaction-change.js';
import { streamPartitionKey } from '../../../shared/schemas/stream-partition-key.js';
import { packScoredResults } from '../../../shared/schemas/scored-results-record.js';
import { scanView } from '../../../shared/view/scan-view.js';
import { PROJECTOR_APPLICATION, Projector } from '../../../workers/projector/projector.js';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import type { AwsClients } from '../../../shared/aws/clients.js';
import { testStack } from '../../helpers/local-env.js';
import type { TestStack } from '../../helpers/local-env.js';
import { FAST_LEASES } from '../kinesis/helpers.js';
import { FanOutLinger } from '../../../shared/kinesis/constants.js';
import { expectedTotals, scoredResult, scoredResults, shownTotals, withChange } from './scored-results.js';
import { seeded } from '../../helpers/seeded.js';

/** Puts lines on the results stream in order, as the scorer role does. */
async function putLines(own: TestStack, lines: readonly { key: string; data: string }[]): Promise<void> {
  for (let i = 0; i < lines.length; i += 500) {
    const chunk = lines.slice(i, i + 500);
    const out = await own.as('scorer').kinesis.send(new PutRecordsCommand({ StreamName: own.names.streams.results, Records: chunk.map((l) => ({ PartitionKey: l.key, Data: Buffer.from(l.data) })) }));
    expect(out.FailedRecordCount ?? 0).to.equal(0);
  }
}

async function until(what: string, timeoutMs: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Versions a projector's writer has handled, repeats within a batch included. */
const handled = (projector: Projector): number => projector.writer.stats.written + projector.writer.stats.repeated;

describe('Class: Projector', function () {
  this.timeout(60_000);
  // A stack of its own: the projector acts as its role (reads the results stream, writes the view),
  // the scorer's role puts the results, the operator reads the view and the leases back.
  let own: TestStack;
  let role: AwsClients;
  let rejects: RejectStore;
  const running: Projector[] = [];

  beforeEach(async () => {
    own = await testStack({ shards: { results: 2 } });
    role = own.as('projector');
    rejects = new RejectStore({ dynamodb: role.dynamodb, tableName: own.names.tables.rejects });
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((p) => p.close()));
    await own.cleanup();
  });

  const viewOf = () => scanView(own.operator.dynamodb, own.names.tables.view);
  const listRejects = () => new RejectStore({ dynamodb: own.operator.dynamodb, tableName: own.names.tables.rejects }).list();

  function projector(): Projector {
    const created = new Projector({
      kinesis: role.kinesis,
      dynamodb: role.dynamodb,
      streamName: own.names.streams.results,
      leaseTableName: own.names.tables.leases,
      viewTableName: own.names.tables.view,
      rejectStore: rejects,
      // The live results stream, read by enhanced fan-out as the role reads it.
      consumer: { ...FAST_LEASES, maxBatchRetries: 1, maxBatchSize: 1000, fanOut: { consumerArn: own.names.consumerArns.resultsProjector, kinesis: role.kinesisFanOut, lingerMs: FanOutLinger.projector } },
      writer: { backoffBaseMs: 5, maxAttempts: 3 },
    });
    running.push(created);
    return created;
  }

  describe('Method: start', () => {
    it('projects a results stream with duplicates and bad records: each transaction once, totals exact, bad records rejected', async () => {
      // Prepare
      const results = scoredResults(500, { seed: 31, users: 8 });
      const duplicates = results.slice(0, 40);
      const unwritable = scoredResult({ transactionId: 'tx-too-long', userId: 'u'.repeat(2100) });
      const lines = [
        ...results.map((r) => ({ key: r.userId, data: JSON.stringify(r) })),
        { key: 'bad', data: '{not json' },
        { key: 'bad', data: JSON.stringify({ ...results[0], transactionId: 'tx-no-offset', bookedAt: '2026-11-20T10:15:00' }) },
        { key: 'bad', data: JSON.stringify({ ...results[0], transactionId: 'tx-wrong-schema', anomalyScore: 7 }) },
        { key: 'long', data: JSON.stringify(unwritable) },
        ...duplicates.map((r) => ({ key: r.userId, data: JSON.stringify(r) })),
      ];
      await putLines(own, lines);
      const worker = projector();
      const startedAt = new Date().toISOString();

      // Act
      await worker.start();
      await until('every record projected or rejected', 45_000, async () => handled(worker) >= results.length + duplicates.length && (await listRejects()).length === 4);
      const health = worker.health();
      const view = await viewOf();
      const rejected = await listRejects();

      // Assess
      expect(view.transactions).to.have.length(results.length);
      expect(view.versions).to.have.length(results.length);
      expect(shownTotals(view)).to.deep.equal(expectedTotals(results));
      expect(view.transactions.filter((t) => t.viewedAt < startedAt || t.viewedAt > new Date().toISOString())).to.deep.equal([]);
      expect(rejected.map((r) => r.code).sort()).to.deep.equal([RejectCode.MalformedRecord, RejectCode.MalformedRecord, RejectCode.MalformedRecord, RejectCode.Unprojectable].sort());
      expect(rejected.find((r) => r.code === RejectCode.Unprojectable)).to.include({ transactionId: 'tx-too-long', stage: 'projector' });
      for (const reject of rejected) expect(reject.source).to.include({ stream: own.names.streams.results }).and.to.have.keys('stream', 'shardId', 'sequenceNumber');
      expect(health.leasesHeld).to.equal(2);
      expect(health.lastBatchAt).to.be.a('string');
    });

    it('projects packed records (version 2) result by result: a malformed or unwritable one is rejected alone, by its place in its record', async () => {
      // Prepare
      const results = scoredResults(300, { seed: 33, users: 6 });
      const [first, second] = scoredResults(2, { seed: 34, users: 1, prefix: 'packed' }) as [ReturnType<typeof scoredResult>, ReturnType<typeof scoredResult>];
      const malformed = { ...first, transactionId: 'tx-bad-currency', amount: { minor: 100, currency: 'XXY' } };
      const unwritable = scoredResult({ transactionId: 'tx-too-long', userId: 'u'.repeat(2100) });
      const mixed = packScoredResults([first, malformed, unwritable, second] as never, 1_000_000);
      const lines = [...packScoredResults(results), ...mixed].map((p) => ({ key: p.partitionKey.slice(0, 256), data: p.data }));
      await putLines(own, lines);
      const worker = projector();

      // Act
      await worker.start();
      await until('every result projected or rejected', 45_000, async () => (await viewOf()).transactions.length >= results.length + 2 && (await listRejects()).length === 2);
      const view = await viewOf();
      const rejected = new Map((await listRejects()).map((r) => [r.transactionId, r]));

      // Assess
      expect(lines.length).to.be.lessThan(results.length / 10);
      expect(view.transactions).to.have.length(results.length + 2);
      expect(shownTotals(view)).to.deep.equal(expectedTotals([...results, first, second]));
      expect(rejected.get('tx-bad-currency')).to.deep.include({ code: RejectCode.MalformedRecord, stage: 'projector' });
      expect(rejected.get('tx-bad-currency')?.source).to.include({ subSequenceNumber: 1, stream: own.names.streams.results });
      expect(JSON.parse(rejected.get('tx-bad-currency')?.raw ?? '')).to.deep.equal(malformed);
      expect(rejected.get('tx-too-long')).to.deep.include({ code: RejectCode.Unprojectable, stage: 'projector' });
      expect(rejected.get('tx-too-long')?.source).to.include({ subSequenceNumber: 2 });
      expect(rejected.get('tx-too-long')?.source.sequenceNumber).to.equal(rejected.get('tx-bad-currency')?.source.sequenceNumber);
    });

    it('reads the live results stream by enhanced fan-out as its role: pushes of many times a 64 KiB window, every result in the view once', async () => {
      // Prepare: about half a megabyte a shard, so each push is several times HTTP/2's default 64 KiB window
      const results = scoredResults(1_200, { seed: 36, users: 8 });
      await putLines(own, packScoredResults(results).map((p) => ({ key: p.partitionKey, data: p.data })));
      const worker = projector();

      // Act
      await worker.start();
      await until('every result projected', 45_000, () => handled(worker) >= results.length);
      const view = await viewOf();
      const metrics = worker.consumerMetrics();

      // Assess
      expect(view.transactions).to.have.length(results.length);
      expect(shownTotals(view)).to.deep.equal(expectedTotals(results));
      expect(await listRejects()).to.deep.equal([]);
      expect(metrics.shards.map((s) => s.readBy)).to.deep.equal(['SubscribeToShard', 'SubscribeToShard']);
    });

    it('changes nothing when the stream delivers the same results again after a restart', async () => {
      // Prepare
      const results = scoredResults(200, { seed: 32, users: 4 });
      await putLines(own, results.map((r) => ({ key: r.userId, data: JSON.stringify(r) })));
      const first = projector();
      await first.start();
      await until('first delivery projected', 30_000, () => handled(first) >= results.length);
      await first.close();
      const before = await viewOf();
      await putLines(own, results.map((r) => ({ key: r.userId, data: JSON.stringify(r) })));
      const second = projector();

      // Act
      await second.start();
      // From the checkpoint: the first delivery is not read again, the second one is.
      await until('replay read', 30_000, () => handled(second) >= results.length);
      const view = await viewOf();

      // Assess
      const strip = (v: typeof view) => v.transactions.map(({ viewedAt: _viewedAt, ...rest }) => rest).sort((a, b) => a.transactionId.localeCompare(b.transactionId));
      expect(view.versions).to.have.length(results.length);
      expect(strip(view)).to.deep.equal(strip(before));
      expect(shownTotals(view)).to.deep.equal(shownTotals(before));
      expect(shownTotals(before)).to.deep.equal(expectedTotals(results));
    });

    it('shows every transaction at its latest version when modifications, removals and posted ones arrive twice and out of order on two shards', async () => {
      // Prepare: a third of 300 transactions change after the fact, each change put twice, the lot shuffled
      const base = scoredResults(300, { seed: 34, users: 5 });
      const changes = base.flatMap((r, i) => {
        if (i % 9 === 0) return [withChange({ ...r, amount: { ...r.amount, minor: r.amount.minor - 101 }, contentHash: `${r.contentHash}m` }, ChangeKind.Modified, 1)];
        if (i % 9 === 3) return [withChange(r, ChangeKind.Removed, 1)];
        if (i % 9 === 6) return [withChange({ ...r, transactionId: `${r.transactionId}-posted`, amount: { ...r.amount, minor: r.amount.minor - 7 }, contentHash: `${r.contentHash}p` }, ChangeKind.Added, 1, r.transactionId), withChange(r, ChangeKind.Removed, 2)];
        return [];
      });
      const changedIds = new Set(changes.map((c) => c.transactionId));
      const final = [...base.filter((r) => !changedIds.has(r.transactionId)), ...changes.filter((c) => c.change?.kind !== ChangeKind.Removed)];
      const random = seeded(35);
      const deliveries = [...base, ...changes, ...changes].sort(() => random() - 0.5);
      await putLines(own, deliveries.map((r) => ({ key: streamPartitionKey(r), data: JSON.stringify(r) })));
      const worker = projector();

      // Act
      await worker.start();
      await until('every delivery projected', 45_000, () => handled(worker) >= deliveries.length);
      const view = await viewOf();

      // Assess
      expect(view.transactions.map((t) => `${t.transactionId} ${t.amount.minor}`).sort()).to.deep.equal(final.map((r) => `${r.transactionId} ${r.amount.minor}`).sort());
      expect(shownTotals(view)).to.deep.equal(expectedTotals(final));
    });
  });

  describe('Method: onPoisonRecord and health', () => {
    it('holds the shard instead of rejecting records while the view cannot be written, and reports unhealthy', async () => {
      // Prepare: the stack's view table is gone
      await own.operator.dynamodb.send(new DeleteTableCommand({ TableName: own.names.tables.view }));
      let now = Date.parse('2026-11-25T12:00:00Z');
      const worker = new Projector({
        kinesis: role.kinesis,
        dynamodb: role.dynamodb,
        streamName: own.names.streams.results,
        leaseTableName: own.names.tables.leases,
        viewTableName: own.names.tables.view,
        rejectStore: rejects,
        writer: { backoffBaseMs: 1, maxAttempts: 2 },
        unhealthyAfterMs: 30_000,
        clock: () => new Date(now),
      });
      const record = { data: Buffer.from(JSON.stringify(scoredResult())), partitionKey: 'user-1', sequenceNumber: '1', approximateArrivalTimestamp: undefined };
      const context = { shardId: 'shardId-000000000000', signal: new AbortController().signal };

      // Act
      const batchError = await worker.processRecords([record], context).then(() => undefined, (e: unknown) => e);
      const poisonError = await worker.onPoisonRecord({ shardId: context.shardId, record, error: batchError }).then(() => undefined, (e: unknown) => e);
      const healthyAtFirst = worker.health();
      now += 31_000;

      // Assess
      expect(batchError).to.be.instanceOf(Error);
      expect(poisonError, 'the consumer must keep retrying, not move past the record').to.be.instanceOf(Error);
      expect(await listRejects()).to.deep.equal([]);
      expect(healthyAtFirst.failingSince).to.be.a('string');
      expect(() => worker.health()).to.throw(/failing since/);
    });
  });

  describe('Method: close', () => {
    it('drains, releases its leases and is idempotent', async () => {
      // Prepare
      const results = scoredResults(100, { seed: 33 });
      await putLines(own, results.map((r) => ({ key: r.userId, data: JSON.stringify(r) })));
      const worker = projector();
      await worker.start();
      await until('batch projected', 30_000, () => worker.writer.stats.written === results.length);

      // Act
      const closing = worker.close();
      const again = worker.close();
      await closing;
      const leases = await own.operator.dynamodb.send(
        new QueryCommand({ TableName: own.names.tables.leases, KeyConditionExpression: '#app = :app', ExpressionAttributeNames: { '#app': LeaseAttribute.application }, ExpressionAttributeValues: { ':app': { S: PROJECTOR_APPLICATION } }, ConsistentRead: true }),
      );

      // Assess
      expect(again).to.equal(closing);
      expect(leases.Items).to.have.length(2);
      for (const lease of leases.Items ?? []) {
        expect(lease[LeaseAttribute.owner], 'released').to.equal(undefined);
        expect(lease[LeaseAttribute.checkpoint]?.S).to.match(/^\d+$/);
      }
      expect(worker.health().leasesHeld).to.equal(0);
    });
  });
});
