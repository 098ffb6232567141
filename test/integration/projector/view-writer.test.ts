import { expect } from 'chai';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ScoredResult } from '../../../shared/schemas/scored-result.js';
import { RetriesExhaustedError, UnwritableTransactionError, WriteAbortedError } from '../../../workers/projector/errors.js';
import { Grouping } from '../../../workers/projector/transaction-planner.js';
import { auditTotals, localMonth, markerKey, transactionSk, userPk } from '../../../workers/projector/view-model.js';
import type { ViewContents } from '../../../workers/projector/view-model.js';
import { scanView } from '../../../workers/projector/view-scan.js';
import { ViewWriter } from '../../../workers/projector/view-writer.js';
import { getLocalEnv } from '../../helpers/local-env.js';
import { createViewTable, expectedTotals, scoredResult, scoredResults } from './scored-results.js';

/**
 * Makes the first `times` TransactWriteItems calls of a client fail before they reach DynamoDB.
 * DynamoDB Local runs transactions one at a time, so it never answers TransactionConflict or
 * throttles; this is how the retry path meets those answers.
 */
function failTransactions(client: DynamoDBClient, times: number, error: () => Error): { readonly failed: () => number } {
  let failed = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'TransactWriteItemsCommand' && failed < times) {
        failed += 1;
        throw error();
      }
      return next(args);
    },
    { step: 'initialize', name: 'injectTransactionFaults' },
  );
  return { failed: () => failed };
}

function conflict(actions: number): Error {
  return Object.assign(new Error('Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict]'), {
    name: 'TransactionCanceledException',
    CancellationReasons: Array.from({ length: actions }, (_, i) => ({ Code: i === 0 ? 'TransactionConflict' : 'None' })),
  });
}

function throttled(): Error {
  return Object.assign(new Error('Rate of requests exceeds the allowed throughput'), { name: 'ProvisionedThroughputExceededException' });
}

/** Totals of a scanned view in the shape `expectedTotals` computes. */
function storedTotals(view: ViewContents): Map<string, { sumMinor: number; txnCount: number }> {
  return new Map(view.totals.map((t) => [`${t.userId}|${t.month}|${t.category}|${t.currency}`, { sumMinor: t.sumMinor, txnCount: t.txnCount }]));
}

/** Everything but the per-attempt timestamps, for "nothing changed" comparisons. */
function snapshot(view: ViewContents): unknown {
  const strip = (items: readonly object[]) =>
    items.map((item) => Object.fromEntries(Object.entries(item).filter(([k]) => k !== 'viewedAt' && k !== 'updatedAt'))).sort((a, b) => `${a['pk']}${a['sk']}`.localeCompare(`${b['pk']}${b['sk']}`));
  return { transactions: strip(view.transactions), anomalies: strip(view.anomalies), totals: strip(view.totals), markers: strip(view.markers) };
}

describe('Class: ViewWriter', function () {
  this.timeout(60_000);
  let dynamodb: DynamoDBClient;
  let destroy: () => void;
  const drops: (() => Promise<void>)[] = [];

  before(async () => {
    const env = await getLocalEnv();
    const clients = env.clients();
    dynamodb = clients.dynamodb;
    destroy = () => clients.destroy();
  });

  after(async () => {
    await Promise.all(drops.map((drop) => drop()));
    destroy();
  });

  async function table(): Promise<string> {
    const created = await createViewTable(dynamodb);
    drops.push(created.drop);
    return created.tableName;
  }

  describe('Method: write', () => {
    it('keeps totals equal to the sums of a few hundred results across users, local months, categories and currencies', async () => {
      // Prepare
      const tableName = await table();
      const results = scoredResults(400, { seed: 7, users: 6 });
      const writer = new ViewWriter({ dynamodb, tableName });

      // Act
      const outcome = await writer.write(results);
      const view = await scanView(dynamodb, tableName);

      // Assess
      expect(outcome.written).to.equal(results.length);
      expect(outcome.duplicates).to.equal(0);
      expect(view.transactions).to.have.length(results.length);
      expect(view.markers).to.have.length(results.length);
      expect(view.anomalies).to.have.length(results.filter((r) => r.isAnomaly).length);
      expect(storedTotals(view)).to.deep.equal(expectedTotals(results));
      expect(auditTotals(view)).to.deep.equal([]);
      const crossing = results.filter((r) => localMonth(r.bookedAt) !== new Date(r.bookedAt).toISOString().slice(0, 7));
      expect(crossing.length, 'some results whose UTC month differs from their local month').to.be.greaterThan(0);
    });

    it('stores every field of the scored result on its item, with viewedAt and ingestedAt', async () => {
      // Prepare
      const tableName = await table();
      const result = scoredResult({ transactionId: 'tx-fields', isAnomaly: true, anomalyScore: 0.99, merchant: { name: 'NAME WITH "QUOTES"' } });
      const before = Date.now();
      const writer = new ViewWriter({ dynamodb, tableName });

      // Act
      await writer.write([result]);
      const view = await scanView(dynamodb, tableName);

      // Assess
      const [item] = view.transactions;
      expect(item).to.include({ pk: userPk(result.userId), sk: transactionSk(result.bookedAt, result.transactionId), transactionId: result.transactionId, bookedAt: result.bookedAt, category: result.category, anomalyScore: result.anomalyScore, isAnomaly: true, contentHash: result.contentHash, ingestedAt: result.ingestedAt, scoredAt: result.scoredAt, month: '2026-11' });
      expect(item?.amount).to.deep.equal(result.amount);
      expect(item?.merchant).to.deep.equal(result.merchant);
      expect(item?.categoryScores).to.deep.equal(result.categoryScores);
      expect(item?.models).to.deep.equal(result.models);
      expect(Date.parse(item?.viewedAt ?? '')).to.be.at.least(before - 1);
      expect(view.markers[0]).to.include({ ...markerKey(result.transactionId), txnSk: item?.sk, userId: result.userId });
      expect(view.anomalies[0]).to.include({ transactionId: result.transactionId, anomalyScore: 0.99 });
    });

    it('changes nothing when the same batch is written again (a replay)', async () => {
      // Prepare
      const tableName = await table();
      const results = scoredResults(150, { seed: 11 });
      const writer = new ViewWriter({ dynamodb, tableName });
      await writer.write(results);
      const first = snapshot(await scanView(dynamodb, tableName));

      // Act
      const again = await writer.write(results);
      const second = snapshot(await scanView(dynamodb, tableName));

      // Assess
      expect(again).to.include({ written: 0, duplicates: results.length });
      expect(second).to.deep.equal(first);
    });

    it('writes only the new part of a batch that overlaps one already written', async () => {
      // Prepare
      const tableName = await table();
      const results = scoredResults(120, { seed: 12 });
      const writer = new ViewWriter({ dynamodb, tableName });
      await writer.write(results.slice(0, 70));

      // Act
      const outcome = await writer.write(results);
      const view = await scanView(dynamodb, tableName);

      // Assess
      expect(outcome).to.include({ written: 50, duplicates: 70 });
      expect(storedTotals(view)).to.deep.equal(expectedTotals(results));
    });

    it('counts each transactionId once within a batch, even when a copy spells or moves bookedAt differently', async () => {
      // Prepare
      const tableName = await table();
      const results = scoredResults(60, { seed: 13 });
      const respelled = results.slice(0, 20).map((r) => ({ ...r, bookedAt: new Date(r.bookedAt).toISOString() }));
      const moved = results.slice(20, 30).map((r) => ({ ...r, bookedAt: '2026-08-15T12:00:00+02:00', amount: { minor: 1, currency: 'EUR' }, contentHash: 'changed' }));
      const batch: ScoredResult[] = [...results, ...results.slice(0, 30), ...respelled, ...moved];
      const writer = new ViewWriter({ dynamodb, tableName });

      // Act
      const inBatch = await writer.write(batch);
      const later = await writer.write([...respelled, ...moved]);
      const view = await scanView(dynamodb, tableName);

      // Assess
      expect(inBatch).to.include({ written: results.length, duplicates: batch.length - results.length, conflicting: moved.length });
      expect(later).to.include({ written: 0, duplicates: respelled.length + moved.length, conflicting: moved.length });
      expect(view.transactions).to.have.length(results.length);
      expect(storedTotals(view)).to.deep.equal(expectedTotals(results));
    });

    it('keeps totals exact when two writers write overlapping batches for the same users at once', async () => {
      // Prepare
      const tableName = await table();
      const results = scoredResults(300, { seed: 14, users: 2 });
      const a = new ViewWriter({ dynamodb, tableName, maxConcurrentTransactions: 4, backoffBaseMs: 5 });
      const b = new ViewWriter({ dynamodb, tableName, maxConcurrentTransactions: 4, backoffBaseMs: 5 });

      // Act
      const [fromA, fromB] = await Promise.all([a.write(results.slice(0, 200)), b.write([...results.slice(100)].reverse())]);
      const view = await scanView(dynamodb, tableName);

      // Assess
      expect(fromA.written + fromB.written).to.equal(results.length);
      expect(fromA.duplicates + fromB.duplicates).to.equal(100);
      expect(storedTotals(view)).to.deep.equal(expectedTotals(results));
      expect(auditTotals(view)).to.deep.equal([]);
    });

    for (const grouping of [Grouping.PerRecord, Grouping.UserMonth]) {
      it(`builds the same view with '${grouping}' grouping`, async () => {
        // Prepare
        const tableName = await table();
        const results = scoredResults(60, { seed: 15 });
        const writer = new ViewWriter({ dynamodb, tableName, grouping });

        // Act
        const outcome = await writer.write([...results, ...results.slice(0, 10)]);
        const view = await scanView(dynamodb, tableName);

        // Assess
        expect(outcome).to.include({ written: results.length, duplicates: 10 });
        expect(storedTotals(view)).to.deep.equal(expectedTotals(results));
      });
    }

    it('rejects with UnwritableTransactionError when DynamoDB refuses the items for good', async () => {
      // Prepare
      const tableName = await table();
      const writer = new ViewWriter({ dynamodb, tableName });
      const tooLong = scoredResult({ transactionId: 'tx-long', userId: 'u'.repeat(2100) });

      // Act
      const error = await writer.write([tooLong]).then(() => undefined, (e: unknown) => e);

      // Assess
      expect(error).to.be.instanceOf(UnwritableTransactionError);
      expect((error as UnwritableTransactionError).transactionIds).to.deep.equal(['tx-long']);
    });

    it('stops with WriteAbortedError when its signal aborts', async () => {
      // Prepare
      const tableName = await table();
      const writer = new ViewWriter({ dynamodb, tableName });
      const controller = new AbortController();
      controller.abort();

      // Act
      const error = await writer.write(scoredResults(5), { signal: controller.signal }).then(() => undefined, (e: unknown) => e);

      // Assess
      expect(error).to.be.instanceOf(WriteAbortedError);
      expect((await scanView(dynamodb, tableName)).transactions).to.have.length(0);
    });
  });

  describe('Method: write, when DynamoDB answers conflicts and throttling', () => {
    let faulty: ReturnType<Awaited<ReturnType<typeof getLocalEnv>>['clients']>;
    beforeEach(async () => {
      faulty = (await getLocalEnv()).clients();
    });
    afterEach(() => faulty.destroy());

    for (const [label, error] of [['TransactionConflict', () => conflict(3)], ['throttling', throttled]] as const) {
      it(`backs off and retries after ${label}, and counts each result once`, async () => {
        // Prepare
        const tableName = await table();
        const results = scoredResults(40, { seed: 16 });
        const faults = failTransactions(faulty.dynamodb, 3, error);
        const writer = new ViewWriter({ dynamodb: faulty.dynamodb, tableName, backoffBaseMs: 1, maxConcurrentTransactions: 1 });

        // Act
        const outcome = await writer.write(results);
        const view = await scanView(dynamodb, tableName);

        // Assess
        expect(faults.failed()).to.equal(3);
        expect(outcome).to.include({ written: results.length, retries: 3 });
        expect(storedTotals(view)).to.deep.equal(expectedTotals(results));
      });
    }

    it('rejects with RetriesExhaustedError when conflicts outlast maxAttempts, and a later write completes exactly', async () => {
      // Prepare
      const tableName = await table();
      const results = scoredResults(30, { seed: 17 });
      failTransactions(faulty.dynamodb, 3, () => conflict(3));
      const writer = new ViewWriter({ dynamodb: faulty.dynamodb, tableName, backoffBaseMs: 1, maxAttempts: 3 });

      // Act
      const error = await writer.write(results).then(() => undefined, (e: unknown) => e);
      const retried = await writer.write(results);
      const view = await scanView(dynamodb, tableName);

      // Assess
      expect(error).to.be.instanceOf(RetriesExhaustedError);
      expect(retried.written).to.equal(results.length);
      expect(storedTotals(view)).to.deep.equal(expectedTotals(results));
    });
  });
});
