import { expect } from 'chai';
import type { BatchWriteItemCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ScoredResult } from '../../../shared/schemas/scored-result.js';
import { ChangeKind } from '../../../shared/schemas/transaction-change.js';
import { WRU_ITEM_BYTES, itemSizeBytes } from '../../../shared/view/item-size.js';
import { localMonth } from '../../../shared/view/months.js';
import { readInsights } from '../../../shared/view/read-insights.js';
import { scanView } from '../../../shared/view/scan-view.js';
import type { ViewContents } from '../../../shared/view/scan-view.js';
import { toItem, versionOf } from '../../../shared/view/version.js';
import { RetriesExhaustedError, UnwritableItemsError, WriteAbortedError } from '../../../workers/projector/errors.js';
import { ViewWriter } from '../../../workers/projector/view-writer.js';
import { getLocalEnv } from '../../helpers/local-env.js';
import { createStackView } from '../api/stack-view.js';
import { expectedTotals, scoredResult, scoredResults, shownTotals, withChange } from './scored-results.js';
import { seeded } from '../../helpers/seeded.js';

/**
 * Makes the first `times` BatchWriteItem calls of a client come back with some items unprocessed
 * (`keep` of them are sent, the rest answered as UnprocessedItems, as DynamoDB does when a
 * partition throttles), or fail with `error` before they reach DynamoDB.
 */
function interfere(client: DynamoDBClient, times: number, fault: { readonly keep: number } | { readonly error: () => Error }): { readonly interfered: () => number } {
  let interfered = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'BatchWriteItemCommand' || interfered >= times) return next(args);
      interfered += 1;
      if ('error' in fault) throw fault.error();
      const input = args.input as BatchWriteItemCommandInput;
      const [table, requests] = Object.entries(input.RequestItems ?? {})[0] ?? ['', []];
      const sent = requests.slice(0, fault.keep);
      const held = requests.slice(fault.keep);
      const out = sent.length === 0 ? { output: { $metadata: {}, ConsumedCapacity: [] }, response: {} } : await next({ ...args, input: { ...input, RequestItems: { [table]: sent } } });
      return { ...out, output: { ...(out.output as object), UnprocessedItems: held.length === 0 ? {} : { [table]: held } } } as typeof out;
    },
    { step: 'initialize', name: 'interfereWithBatchWrites' },
  );
  return { interfered: () => interfered };
}

function throttled(): Error {
  return Object.assign(new Error('Rate of requests exceeds the allowed throughput'), { name: 'ProvisionedThroughputExceededException' });
}

/** What the read model shows, without the time each version was last written: for "nothing changed" comparisons. */
function snapshot(view: ViewContents): unknown {
  return {
    transactions: view.transactions.map(({ viewedAt: _viewedAt, ...rest }) => rest).sort((a, b) => a.transactionId.localeCompare(b.transactionId)),
    totals: [...shownTotals(view).entries()].sort(([a], [b]) => a.localeCompare(b)),
  };
}

describe('Class: ViewWriter', function () {
  this.timeout(60_000);
  let dynamodb: DynamoDBClient;
  let destroy: () => void;
  const drops: (() => Promise<void>)[] = [];

  before(async () => {
    const clients = (await getLocalEnv()).clients();
    dynamodb = clients.dynamodb;
    destroy = () => clients.destroy();
  });

  after(async () => {
    await Promise.all(drops.map((drop) => drop()));
    destroy();
  });

  /** A stack's view table of its own: written as the projector role, read by the read model as the api role, scanned as the operator. */
  async function stackView(): Promise<{ tableName: string; writes: DynamoDBClient; reads: DynamoDBClient }> {
    const created = await createStackView(await getLocalEnv());
    drops.push(() => created.close());
    return { tableName: created.tableName, writes: created.projector, reads: created.api };
  }

  describe('Method: write', () => {
    it('makes totals equal to the sums of a few hundred results across users, local months, categories and currencies, at 1 WRU per result', async () => {
      // Prepare
      const { tableName, writes } = await stackView();
      const results = scoredResults(400, { seed: 7, users: 6 });
      const writer = new ViewWriter({ dynamodb: writes, tableName });

      // Act
      const outcome = await writer.write(results);
      const view = await scanView(dynamodb, tableName);

      // Assess
      expect(outcome).to.include({ written: results.length, repeated: 0, consumedWru: results.length });
      expect(outcome.requests).to.equal(Math.ceil(results.length / 25));
      expect(view.versions).to.have.length(results.length);
      expect(view.transactions).to.have.length(results.length);
      expect(shownTotals(view)).to.deep.equal(expectedTotals(results));
      const crossing = results.filter((r) => localMonth(r.bookedAt) !== new Date(r.bookedAt).toISOString().slice(0, 7));
      expect(crossing.length, 'some results whose UTC month differs from their local month').to.be.greaterThan(0);
    });

    it('stores every field the read model shows on one item of under 1 KB, with viewedAt', async () => {
      // Prepare
      const { tableName, writes } = await stackView();
      const result = withChange(scoredResult({ transactionId: 'tx-fields', isAnomaly: true, anomalyScore: 0.99, merchant: { name: 'NAME WITH "QUOTES"' } }), ChangeKind.Added, 3, 'tx-pending');
      const before = Date.now();
      const writer = new ViewWriter({ dynamodb: writes, tableName });

      // Act
      await writer.write([result]);
      const view = await scanView(dynamodb, tableName);

      // Assess
      const [version] = view.versions;
      expect(version).to.deep.include({ userId: result.userId, month: '2026-11', transactionId: 'tx-fields', revision: 3, change: 'added', pendingTransactionId: 'tx-pending', bookedAt: result.bookedAt, category: result.category, anomalyScore: 0.99, isAnomaly: true, contentHash: result.contentHash, ingestedAt: result.ingestedAt, scoredAt: result.scoredAt });
      expect(version).to.deep.include({ amount: result.amount, merchant: result.merchant, models: result.models, categoryScore: 0.89 });
      expect(Date.parse(version?.viewedAt ?? '')).to.be.at.least(before - 1);
      expect(itemSizeBytes(toItem(versionOf(result, new Date().toISOString())))).to.be.at.most(WRU_ITEM_BYTES);
    });

    it('keeps an item within 1 WRU with the longest ids, merchant name and model names the contracts allow', async () => {
      // Prepare
      const { tableName, writes } = await stackView();
      const id = (c: string): string => c.repeat(64);
      const result = withChange(
        scoredResult({ transactionId: id('t'), userId: id('u'), accountId: id('a'), merchant: { name: 'M'.repeat(200), mcc: '5411' }, bookedAt: '2026-11-20T10:15:00.123456789+01:00', models: { categoriser: 'categoriser@10.20.30+b8163893737a', anomaly: 'anomaly@10.20.30+5c1e0b6d2f9a' } }),
        ChangeKind.Modified,
        Number.MAX_SAFE_INTEGER,
        id('p'),
      );
      const writer = new ViewWriter({ dynamodb: writes, tableName });

      // Act
      const outcome = await writer.write([result]);

      // Assess
      expect(itemSizeBytes(toItem(versionOf(result, new Date().toISOString())))).to.be.at.most(WRU_ITEM_BYTES);
      expect(outcome.consumedWru, 'as DynamoDB bills it').to.equal(1);
    });

    it('changes nothing the read model shows when the same batch is written again (a replay)', async () => {
      // Prepare
      const { tableName, writes } = await stackView();
      const results = scoredResults(150, { seed: 11 });
      const writer = new ViewWriter({ dynamodb: writes, tableName });
      await writer.write(results);
      const first = await scanView(dynamodb, tableName);

      // Act
      const again = await writer.write(results);
      const second = await scanView(dynamodb, tableName);

      // Assess
      expect(again).to.include({ written: results.length, consumedWru: results.length });
      expect(second.versions).to.have.length(results.length);
      expect(snapshot(second)).to.deep.equal(snapshot(first));
    });

    it('writes a version repeated within one batch once', async () => {
      // Prepare
      const { tableName, writes } = await stackView();
      const results = scoredResults(60, { seed: 13 });
      const batch: ScoredResult[] = [...results, ...results.slice(0, 30)];
      const writer = new ViewWriter({ dynamodb: writes, tableName });

      // Act
      const outcome = await writer.write(batch);
      const view = await scanView(dynamodb, tableName);

      // Assess
      expect(outcome).to.include({ written: results.length, repeated: batch.length - results.length, consumedWru: results.length });
      expect(view.versions).to.have.length(results.length);
      expect(shownTotals(view)).to.deep.equal(expectedTotals(results));
    });

    it('counts a copy ingested again with bookedAt spelled in UTC once: the first copy stands', async () => {
      // Prepare: lines the crawler's ledger no longer remembered, sent again an hour later
      const { tableName, writes } = await stackView();
      const results = scoredResults(60, { seed: 19 });
      const respelled = results.map((r) => ({ ...r, bookedAt: new Date(r.bookedAt).toISOString(), ingestedAt: new Date(Date.parse(r.ingestedAt) + 3_600_000).toISOString() }));
      const writer = new ViewWriter({ dynamodb: writes, tableName });

      // Act
      await writer.write(respelled);
      await writer.write(results);
      const view = await scanView(dynamodb, tableName);

      // Assess
      expect(respelled.filter((r, i) => localMonth(r.bookedAt) !== localMonth(results[i]!.bookedAt)).length, 'copies that land in another month').to.be.greaterThan(0);
      expect(view.transactions).to.have.length(results.length);
      expect(shownTotals(view)).to.deep.equal(expectedTotals(results));
    });

    it('keeps totals exact when two writers write overlapping batches for the same users at once', async () => {
      // Prepare
      const { tableName, writes } = await stackView();
      const results = scoredResults(300, { seed: 14, users: 2 });
      const a = new ViewWriter({ dynamodb: writes, tableName, maxConcurrentRequests: 4 });
      const b = new ViewWriter({ dynamodb: writes, tableName, maxConcurrentRequests: 4 });

      // Act
      await Promise.all([a.write(results.slice(0, 200)), b.write([...results.slice(100)].reverse())]);
      const view = await scanView(dynamodb, tableName);

      // Assess
      expect(view.transactions).to.have.length(results.length);
      expect(shownTotals(view)).to.deep.equal(expectedTotals(results));
    });

    it('rejects with UnwritableItemsError, sending nothing, when a key is longer than DynamoDB allows', async () => {
      // Prepare
      const { tableName, writes } = await stackView();
      const writer = new ViewWriter({ dynamodb: writes, tableName });
      const tooLong = scoredResult({ transactionId: 'tx-long', userId: 'u'.repeat(2100) });

      // Act
      const error = await writer.write([scoredResult(), tooLong]).then(() => undefined, (e: unknown) => e);

      // Assess
      expect(error).to.be.instanceOf(UnwritableItemsError);
      expect((error as UnwritableItemsError).transactionIds).to.deep.equal(['tx-long']);
      expect(writer.stats.requests).to.equal(0);
    });

    it('rejects with UnwritableItemsError when DynamoDB refuses the items for good', async () => {
      // Prepare
      const { tableName, writes } = await stackView();
      const writer = new ViewWriter({ dynamodb: writes, tableName });
      const tooLarge = scoredResult({ transactionId: 'tx-large', merchant: { name: 'x'.repeat(420 * 1024) } });

      // Act
      const error = await writer.write([tooLarge]).then(() => undefined, (e: unknown) => e);

      // Assess
      expect(error).to.be.instanceOf(UnwritableItemsError);
      expect((error as UnwritableItemsError).reason).to.match(/^ValidationException/);
    });

    it('stops with WriteAbortedError when its signal aborts', async () => {
      // Prepare
      const { tableName, writes } = await stackView();
      const writer = new ViewWriter({ dynamodb: writes, tableName });
      const controller = new AbortController();
      controller.abort();

      // Act
      const error = await writer.write(scoredResults(5), { signal: controller.signal }).then(() => undefined, (e: unknown) => e);

      // Assess
      expect(error).to.be.instanceOf(WriteAbortedError);
      expect((await scanView(dynamodb, tableName)).versions).to.have.length(0);
    });
  });

  describe('Method: write, with changes after the fact', () => {
    /** Three transactions and their lives: one modified, one removed, one pending then posted under a new id. */
    function lives(): { readonly deliveries: ScoredResult[]; readonly final: ScoredResult[] } {
      const modified = scoredResult({ transactionId: 'tx-mod', amount: { minor: -1000, currency: 'EUR' } });
      const removed = scoredResult({ transactionId: 'tx-rem', amount: { minor: -700, currency: 'EUR' } });
      const pending = scoredResult({ transactionId: 'tx-pnd', amount: { minor: -2000, currency: 'EUR' }, category: 'dining' });
      const kept = scoredResult({ transactionId: 'tx-kept', amount: { minor: -300, currency: 'EUR' } });
      const modifiedLater = withChange({ ...modified, amount: { minor: -1250, currency: 'EUR' }, contentHash: 'mod-1' }, ChangeKind.Modified, 4);
      const posted = withChange({ ...pending, transactionId: 'tx-posted', amount: { minor: -2300, currency: 'EUR' }, contentHash: 'posted' }, ChangeKind.Added, 6, 'tx-pnd');
      const deliveries = [
        withChange(modified, ChangeKind.Added, 1),
        withChange(removed, ChangeKind.Added, 2),
        withChange(pending, ChangeKind.Added, 3),
        kept,
        modifiedLater,
        withChange(removed, ChangeKind.Removed, 5),
        posted,
        withChange(pending, ChangeKind.Removed, 7),
      ];
      return { deliveries, final: [modifiedLater, posted, kept] };
    }

    it('shows each transaction at its latest version, whatever the order and repetition of deliveries', async () => {
      // Prepare
      const { deliveries, final } = lives();
      const random = seeded(41);
      const orders = [deliveries, [...deliveries].reverse(), ...Array.from({ length: 4 }, () => [...deliveries, ...deliveries].sort(() => random() - 0.5))];

      for (const [index, order] of orders.entries()) {
        const { tableName, writes, reads } = await stackView();
        const writer = new ViewWriter({ dynamodb: writes, tableName });

        // Act: one result per write, as separate batches of a stream would bring them
        for (const result of order) await writer.write([result]);
        const view = await scanView(dynamodb, tableName);
        const page = await readInsights({ dynamodb: reads, tableName, consistentRead: true, clock: () => new Date('2026-11-25T12:00:00Z') }, { userId: 'user-1' });

        // Assess
        const label = `delivery order ${index}`;
        expect(view.transactions.map((t) => [t.transactionId, t.amount.minor]).sort(), label).to.deep.equal(final.map((r) => [r.transactionId, r.amount.minor]).sort());
        expect(shownTotals(view), label).to.deep.equal(expectedTotals(final));
        expect(page?.recent.map((t) => t.transactionId).sort(), label).to.deep.equal(['tx-kept', 'tx-mod', 'tx-posted']);
        expect(page?.recent.find((t) => t.transactionId === 'tx-posted')?.replacesPendingTransactionId, label).to.equal('tx-pnd');
        expect(page?.months[0]?.totals.map((t) => [t.category, t.sum.minor, t.count]).sort(), label).to.deep.equal([
          ['dining', -2300, 1],
          ['groceries', -1550, 2],
        ]);
      }
    });

    it('hides a pending transaction as soon as its posted one is in, before the pending one is removed', async () => {
      // Prepare
      const { tableName, writes } = await stackView();
      const pending = withChange(scoredResult({ transactionId: 'tx-pnd', amount: { minor: -2000, currency: 'EUR' } }), ChangeKind.Added, 1);
      const posted = withChange(scoredResult({ transactionId: 'tx-posted', amount: { minor: -2300, currency: 'EUR' } }), ChangeKind.Added, 2, 'tx-pnd');
      const writer = new ViewWriter({ dynamodb: writes, tableName });

      // Act
      await writer.write([pending]);
      const before = await scanView(dynamodb, tableName);
      await writer.write([posted]);
      const after = await scanView(dynamodb, tableName);

      // Assess
      expect(before.transactions.map((t) => t.transactionId)).to.deep.equal(['tx-pnd']);
      expect(after.transactions.map((t) => t.transactionId)).to.deep.equal(['tx-posted']);
      expect(after.totals.map((t) => t.sumMinor)).to.deep.equal([-2300]);
    });

    it("hides a pending transaction from its month's totals once it is posted in the next month, before its removal arrives", async () => {
      // Prepare: authorised on the last evening of October, posted on 2 November with a tip; the
      // pending one's own removal is still on its way. Both months lie outside the default window,
      // and October alone holds the one recent transaction asked for, so no earlier month is read.
      const { tableName, writes, reads } = await stackView();
      const pending = withChange(scoredResult({ transactionId: 'tx-pnd-oct', bookedAt: '2026-10-31T21:00:00+01:00', amount: { minor: -4000, currency: 'EUR' } }), ChangeKind.Added, 1);
      const posted = withChange(scoredResult({ transactionId: 'tx-posted-nov', bookedAt: '2026-11-02T09:00:00+01:00', amount: { minor: -4400, currency: 'EUR' } }), ChangeKind.Added, 2, 'tx-pnd-oct');
      const kept = scoredResult({ transactionId: 'tx-kept-oct', bookedAt: '2026-10-15T12:00:00+01:00', amount: { minor: -500, currency: 'EUR' } });
      const writer = new ViewWriter({ dynamodb: writes, tableName });
      const october = () => readInsights({ dynamodb: reads, tableName, consistentRead: true, clock: () => new Date('2027-02-15T12:00:00Z') }, { userId: 'user-1', month: '2026-10', limit: 1 });

      // Act
      await writer.write([pending, kept]);
      const authorised = await october();
      await writer.write([posted]);
      const postedPage = await october();

      // Assess
      expect(authorised?.months[0]?.totals.map((t) => [t.sum.minor, t.count])).to.deep.equal([[-4500, 2]]);
      expect(postedPage?.months).to.have.length(1);
      expect(postedPage?.months[0]?.month).to.equal('2026-10');
      expect(postedPage?.months[0]?.totals.map((t) => [t.sum.minor, t.count])).to.deep.equal([[-500, 1]]);
    });

    it('counts a transaction moved to another month only there once the crawler removes it from the old one', async () => {
      // Prepare
      const { tableName, writes, reads } = await stackView();
      const october = withChange(scoredResult({ transactionId: 'tx-moved', bookedAt: '2026-10-31T23:30:00+01:00' }), ChangeKind.Added, 1);
      const november = withChange({ ...october, bookedAt: '2026-11-01T00:30:00+01:00', contentHash: 'moved' }, ChangeKind.Modified, 2);
      const leftOctober = withChange(october, ChangeKind.Removed, 2);
      const writer = new ViewWriter({ dynamodb: writes, tableName });
      const read = (month: string) => readInsights({ dynamodb: reads, tableName, consistentRead: true, clock: () => new Date('2026-11-25T12:00:00Z') }, { userId: 'user-1', month });

      // Act
      await writer.write([november, october, leftOctober]);
      const [inOctober, inNovember] = await Promise.all([read('2026-10'), read('2026-11')]);
      const view = await scanView(dynamodb, tableName);

      // Assess
      expect(inOctober?.months[0]?.totals).to.deep.equal([]);
      expect(inNovember?.months[0]?.totals.map((t) => t.count)).to.deep.equal([1]);
      expect(view.transactions.map((t) => [t.transactionId, t.month])).to.deep.equal([['tx-moved', '2026-11']]);
    });
  });

  describe('Method: write, when DynamoDB throttles', () => {
    it('sends unprocessed items again until every one is written, and counts each once', async () => {
      // Prepare
      const { tableName, writes } = await stackView();
      const results = scoredResults(60, { seed: 16 });
      const faults = interfere(writes, 4, { keep: 5 });
      const writer = new ViewWriter({ dynamodb: writes, tableName, backoffBaseMs: 1, maxConcurrentRequests: 1 });

      // Act
      const outcome = await writer.write(results);
      const view = await scanView(dynamodb, tableName);

      // Assess
      expect(faults.interfered()).to.equal(4);
      expect(outcome).to.include({ written: results.length, retries: 4 });
      expect(shownTotals(view)).to.deep.equal(expectedTotals(results));
    });

    it('backs off and retries after ProvisionedThroughputExceededException', async () => {
      // Prepare
      const { tableName, writes } = await stackView();
      const results = scoredResults(40, { seed: 17 });
      const faults = interfere(writes, 3, { error: throttled });
      const writer = new ViewWriter({ dynamodb: writes, tableName, backoffBaseMs: 1, maxConcurrentRequests: 1 });

      // Act
      const outcome = await writer.write(results);
      const view = await scanView(dynamodb, tableName);

      // Assess
      expect(faults.interfered()).to.equal(3);
      expect(outcome).to.include({ written: results.length, retries: 3 });
      expect(shownTotals(view)).to.deep.equal(expectedTotals(results));
    });

    it('rejects with RetriesExhaustedError when nothing gets through for maxAttempts, and a later write completes exactly', async () => {
      // Prepare
      const { tableName, writes } = await stackView();
      const results = scoredResults(30, { seed: 18 });
      interfere(writes, 3, { keep: 0 });
      const writer = new ViewWriter({ dynamodb: writes, tableName, backoffBaseMs: 1, maxAttempts: 3, maxConcurrentRequests: 1 });

      // Act
      const error = await writer.write(results).then(() => undefined, (e: unknown) => e);
      const retried = await writer.write(results);
      const view = await scanView(dynamodb, tableName);

      // Assess
      expect(error).to.be.instanceOf(RetriesExhaustedError);
      expect(retried.written).to.equal(results.length);
      expect(shownTotals(view)).to.deep.equal(expectedTotals(results));
    });
  });
});
