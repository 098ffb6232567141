import { expect } from 'chai';
import { isolatedStack } from '../../../local/env/isolated-stack.js';
import type { IsolatedStack } from '../../../local/env/isolated-stack.js';
import { startBroker } from '../../../local/broker/index.js';
import type { BrokerHandle } from '../../../local/broker/index.js';
import { expectedOutcome } from '../../../local/runner/expected.js';
import { runLocal } from '../../../local/runner/run-local.js';
import { TransactionScorer } from '../../../models/index.js';
import { CATEGORIES } from '../../../shared/schemas/categories.js';
import { localMonth } from '../../../shared/view/months.js';
import { scanView } from '../../../shared/view/scan-view.js';
import { getLocalEnv, uniqueStack } from '../../helpers/local-env.js';

/** Scores agree with a direct run of the models to float32 precision (the view stores doubles). */
const SCORE_TOLERANCE = 1e-6;

describe('End to end: broker → crawler → stream-reader → scorer → projector → view', function () {
  this.timeout(240_000);

  let stack: IsolatedStack | undefined;
  let broker: BrokerHandle | undefined;
  afterEach(async () => {
    await broker?.close();
    await stack?.cleanup();
  });

  it('puts every accepted transaction in the view once, scored as the models score it, with exact totals', async () => {
    // Prepare: a seeded synthetic run with every worker as its own process, on a stack of its own.
    const base = await getLocalEnv();
    stack = await isolatedStack(base, { stack: uniqueStack(), shards: { raw: 2, results: 2 } });
    broker = await startBroker({ records: 2_000, seed: 7 });
    const expected = expectedOutcome(broker.lines());

    // Act
    const summary = await runLocal({ env: stack.env, broker, tuning: { LEASE_FAILOVER_MS: 3000, READ_IDLE_MS: 100 }, stallTimeoutMs: 60_000 });

    // Assess: the runner's own figures.
    expect(summary.offered).to.equal(2_000);
    expect(summary.accepted).to.equal(expected.accepted.size);
    expect(summary.lost).to.equal(0);
    expect(summary.doubleCounted).to.equal(0);
    expect(summary.inView).to.equal(expected.accepted.size);

    // Assess: every item's scores are the models' output for that record.
    const clients = stack.env.clients();
    const view = await scanView(clients.dynamodb, stack.names.tables.view);
    clients.destroy();
    expect(view.transactions).to.have.length(expected.accepted.size);
    const transactions = [...expected.accepted.values()];
    const scorer = await TransactionScorer.create({ intraOpNumThreads: 1 });
    const scores = await scorer.score(transactions);
    await scorer.close();
    const byId = new Map(view.transactions.map((item) => [item.transactionId, item]));
    transactions.forEach((transaction, i) => {
      const item = byId.get(transaction.transactionId);
      const score = scores[i]!;
      expect(item, transaction.transactionId).to.not.equal(undefined);
      expect(item!.category).to.equal(score.category);
      expect(item!.isAnomaly).to.equal(score.isAnomaly);
      expect(Math.abs(item!.anomalyScore - score.anomalyScore)).to.be.below(SCORE_TOLERANCE);
      const chosen = CATEGORIES.indexOf(score.category);
      expect(Math.abs(item!.categoryScore - score.categoryScores[chosen]!), `${transaction.transactionId} ${score.category}`).to.be.below(SCORE_TOLERANCE);
      expect(item!.amount).to.deep.equal(transaction.amount);
    });

    // Assess: totals equal sums computed here from the broker's amounts and the models' categories.
    const sums = new Map<string, { sumMinor: number; txnCount: number }>();
    transactions.forEach((transaction, i) => {
      const key = `${transaction.userId}|${localMonth(transaction.bookedAt)}|${scores[i]!.category}|${transaction.amount.currency}`;
      const sum = sums.get(key) ?? { sumMinor: 0, txnCount: 0 };
      sums.set(key, { sumMinor: sum.sumMinor + transaction.amount.minor, txnCount: sum.txnCount + 1 });
    });
    const shown = new Map(view.totals.map((t) => [`${t.userId}|${t.month}|${t.category}|${t.currency}`, { sumMinor: t.sumMinor, txnCount: t.count }]));
    expect(shown).to.deep.equal(sums);
  });
});
