import { expect } from 'chai';
import { Grouping, MAX_TRANSACTION_ACTIONS, dedupeByTransactionId, planTransactions, transactionActions } from '../../../workers/projector/transaction-planner.js';
import { localMonth } from '../../../workers/projector/view-model.js';
import { scoredResult, scoredResults } from '../../integration/projector/scored-results.js';

describe('Function: planTransactions', () => {
  const results = scoredResults(500, { seed: 3, users: 4 });

  for (const grouping of Object.values(Grouping)) {
    it(`'${grouping}' keeps every result once, in transactions within the action limit`, () => {
      // Prepare
      const ids = results.map((r) => r.transactionId).sort();

      // Act
      const plan = planTransactions(results, grouping);

      // Assess
      expect(plan.flat().map((r) => r.transactionId).sort()).to.deep.equal(ids);
      for (const transaction of plan) expect(transactionActions(transaction)).to.be.at.most(MAX_TRANSACTION_ACTIONS);
    });
  }

  it("'user-month' never mixes users or months in one transaction, and 'packed' needs no more transactions", () => {
    // Prepare
    const key = (r: (typeof results)[number]) => `${r.userId}|${localMonth(r.bookedAt)}`;

    // Act
    const byUserMonth = planTransactions(results, Grouping.UserMonth);
    const packed = planTransactions(results, Grouping.Packed);

    // Assess
    for (const transaction of byUserMonth) expect(new Set(transaction.map(key)).size).to.equal(1);
    expect(packed.length).to.be.at.most(byUserMonth.length);
    expect(planTransactions(results, Grouping.PerRecord)).to.have.length(results.length);
  });

  it('refuses an action limit DynamoDB does not allow', () => {
    // Prepare
    const limits = [3, 101, 2.5];

    // Act
    const acts = limits.map((limit) => () => planTransactions(results, Grouping.Packed, limit));

    // Assess
    for (const act of acts) expect(act).to.throw(RangeError);
  });
});

describe('Function: dedupeByTransactionId', () => {
  it('keeps the first copy of each transactionId', () => {
    // Prepare
    const first = scoredResult({ transactionId: 'a', amount: { minor: 1, currency: 'EUR' } });
    const copy = scoredResult({ transactionId: 'a', amount: { minor: 2, currency: 'EUR' } });

    // Act
    const { unique, duplicates } = dedupeByTransactionId([first, scoredResult({ transactionId: 'b' }), copy]);

    // Assess
    expect(unique.map((r) => r.amount.minor)).to.deep.equal([1, -1250]);
    expect(duplicates).to.equal(1);
  });
});
