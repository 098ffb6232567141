import { expect } from 'chai';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { ensureTable } from '../../../local/env/provision.js';
import { LeaseAttribute } from '../../../shared/kinesis/index.js';
import { RejectCode } from '../../../shared/schemas/reject-codes.js';
import { RejectStore } from '../../../shared/rejects/reject-store.js';
import { PROJECTOR_APPLICATION, Projector } from '../../../workers/projector/projector.js';
import { auditTotals } from '../../../workers/projector/view-model.js';
import type { ViewContents } from '../../../workers/projector/view-model.js';
import { scanView } from '../../../workers/projector/view-scan.js';
import { uniqueName } from '../../helpers/local-env.js';
import { FAST_LEASES, kinesisFixture } from '../kinesis/helpers.js';
import type { KinesisFixture } from '../kinesis/helpers.js';
import { createViewTable, expectedTotals, scoredResult, scoredResults } from './scored-results.js';

/** Puts lines on the stream in order, partition key first field. */
async function putLines(fixture: KinesisFixture, lines: readonly { key: string; data: string }[]): Promise<void> {
  for (let i = 0; i < lines.length; i += 500) {
    const chunk = lines.slice(i, i + 500);
    const out = await fixture.kinesis.send(new PutRecordsCommand({ StreamName: fixture.streamName, Records: chunk.map((l) => ({ PartitionKey: l.key, Data: Buffer.from(l.data) })) }));
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

function totalsOf(view: ViewContents): Map<string, { sumMinor: number; txnCount: number }> {
  return new Map(view.totals.map((t) => [`${t.userId}|${t.month}|${t.category}|${t.currency}`, { sumMinor: t.sumMinor, txnCount: t.txnCount }]));
}

describe('Class: Projector', function () {
  this.timeout(60_000);
  let fixture: KinesisFixture;
  let viewTable: { tableName: string; drop(): Promise<void> };
  let rejects: RejectStore;
  const running: Projector[] = [];

  beforeEach(async () => {
    fixture = await kinesisFixture(2);
    viewTable = await createViewTable(fixture.dynamodb, 'projector-view');
    const rejectsTable = uniqueName('projector-rejects');
    await ensureTable(fixture.dynamodb, rejectsTable, 'rejects');
    rejects = new RejectStore({ dynamodb: fixture.dynamodb, tableName: rejectsTable });
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((p) => p.close()));
    await viewTable.drop();
    await fixture.cleanup();
  });

  function projector(): Projector {
    const created = new Projector({
      kinesis: fixture.kinesis,
      dynamodb: fixture.dynamodb,
      streamName: fixture.streamName,
      leaseTableName: fixture.leaseTableName,
      viewTableName: viewTable.tableName,
      rejectStore: rejects,
      consumer: { ...FAST_LEASES, maxBatchRetries: 1, maxRecordsPerCall: 1000, maxBatchSize: 1000 },
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
      await putLines(fixture, lines);
      const worker = projector();
      const startedAt = new Date().toISOString();

      // Act
      await worker.start();
      await until('every record projected or rejected', 45_000, async () => worker.writer.stats.written === results.length && (await rejects.list()).length === 4 && worker.writer.stats.duplicates >= duplicates.length);
      const health = worker.health();
      const view = await scanView(fixture.dynamodb, viewTable.tableName);
      const rejected = await rejects.list();

      // Assess
      expect(view.transactions).to.have.length(results.length);
      expect(totalsOf(view)).to.deep.equal(expectedTotals(results));
      expect(auditTotals(view)).to.deep.equal([]);
      expect(view.transactions.filter((t) => t.viewedAt < startedAt || t.viewedAt > new Date().toISOString())).to.deep.equal([]);
      expect(rejected.map((r) => r.code).sort()).to.deep.equal([RejectCode.MalformedRecord, RejectCode.MalformedRecord, RejectCode.MalformedRecord, RejectCode.Unprojectable].sort());
      expect(rejected.find((r) => r.code === RejectCode.Unprojectable)).to.include({ transactionId: 'tx-too-long', stage: 'projector' });
      for (const reject of rejected) expect(reject.source).to.include({ stream: fixture.streamName }).and.to.have.keys('stream', 'shardId', 'sequenceNumber');
      expect(health.leasesHeld).to.equal(2);
      expect(health.lastBatchAt).to.be.a('string');
    });

    it('changes nothing when the stream delivers the same results again after a restart', async () => {
      // Prepare
      const results = scoredResults(200, { seed: 32, users: 4 });
      await putLines(fixture, results.map((r) => ({ key: r.userId, data: JSON.stringify(r) })));
      const first = projector();
      await first.start();
      await until('first delivery projected', 30_000, () => first.writer.stats.written === results.length);
      await first.close();
      const before = totalsOf(await scanView(fixture.dynamodb, viewTable.tableName));
      await putLines(fixture, results.map((r) => ({ key: r.userId, data: JSON.stringify(r) })));
      const second = projector();

      // Act
      await second.start();
      await until('replay read', 30_000, () => second.writer.stats.duplicates === results.length);
      const view = await scanView(fixture.dynamodb, viewTable.tableName);

      // Assess
      expect(second.writer.stats.written).to.equal(0);
      expect(view.transactions).to.have.length(results.length);
      expect(totalsOf(view)).to.deep.equal(before);
      expect(before).to.deep.equal(expectedTotals(results));
    });
  });

  describe('Method: onPoisonRecord and health', () => {
    it('holds the shard instead of rejecting records while the view cannot be written, and reports unhealthy', async () => {
      // Prepare
      let now = Date.parse('2026-11-25T12:00:00Z');
      const worker = new Projector({
        kinesis: fixture.kinesis,
        dynamodb: fixture.dynamodb,
        streamName: fixture.streamName,
        leaseTableName: fixture.leaseTableName,
        viewTableName: uniqueName('missing-view'),
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
      expect(await rejects.list()).to.deep.equal([]);
      expect(healthyAtFirst.failingSince).to.be.a('string');
      expect(() => worker.health()).to.throw(/failing since/);
    });
  });

  describe('Method: close', () => {
    it('drains, releases its leases and is idempotent', async () => {
      // Prepare
      const results = scoredResults(100, { seed: 33 });
      await putLines(fixture, results.map((r) => ({ key: r.userId, data: JSON.stringify(r) })));
      const worker = projector();
      await worker.start();
      await until('batch projected', 30_000, () => worker.writer.stats.written === results.length);

      // Act
      const closing = worker.close();
      const again = worker.close();
      await closing;
      const leases = await fixture.dynamodb.send(
        new QueryCommand({ TableName: fixture.leaseTableName, KeyConditionExpression: '#app = :app', ExpressionAttributeNames: { '#app': LeaseAttribute.application }, ExpressionAttributeValues: { ':app': { S: PROJECTOR_APPLICATION } }, ConsistentRead: true }),
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
