import { expect } from 'chai';
import { expectedOutcome } from '../../../local/runner/expected.js';
import { summarizeRun } from '../../../local/runner/measure.js';
import type { RunObservation } from '../../../local/runner/measure.js';
import { RejectCode } from '../../../shared/schemas/reject-codes.js';
import { ChangeKind } from '../../../shared/schemas/transaction-change.js';
import type { Transaction } from '../../../shared/schemas/transaction.js';
import { monthTotals } from '../../../shared/view/collapse.js';
import { localMonth } from '../../../shared/view/months.js';
import type { LiveVersion } from '../../../shared/view/version.js';
import { brokerLine } from '../../helpers/factories.js';

const NOW = new Date('2026-12-01T00:00:00Z');

/** What a correct projector writes for an accepted transaction. */
function shown(transaction: Pick<Transaction, 'transactionId' | 'userId' | 'accountId' | 'bookedAt' | 'amount' | 'merchant'>): LiveVersion {
  return {
    change: ChangeKind.Added,
    userId: transaction.userId,
    month: localMonth(transaction.bookedAt),
    transactionId: transaction.transactionId,
    revision: 1,
    bookedAt: transaction.bookedAt,
    ingestedAt: '2026-12-01T00:00:00.000Z',
    viewedAt: '2026-12-01T00:00:00.250Z',
    accountId: transaction.accountId,
    amount: transaction.amount,
    merchant: transaction.merchant,
    category: 'groceries',
    categoryScore: 0.9,
    anomalyScore: 0,
    isAnomaly: false,
    models: { categoriser: 'c', anomaly: 'a' },
    contentHash: 'h',
    scoredAt: '2026-12-01T00:00:00.100Z',
  };
}

function observe(transactions: readonly LiveVersion[], rejectCodes: readonly string[]): RunObservation {
  return { view: { transactions, totals: monthTotals(transactions) }, rejectCodes, scoredIds: new Set(transactions.map((t) => t.transactionId)) };
}

describe('Module: local/runner/measure', () => {
  describe('Function: summarizeRun', () => {
    const lines = [brokerLine({ transactionId: 'tx-1' }), brokerLine({ transactionId: 'tx-2' }), '{"not": "a transaction"}'];
    const expected = expectedOutcome(lines, NOW);
    const accepted = [...expected.accepted.values()];
    const expectedCodes = [...expected.rejected.values()];

    it('counts accepted from the validation rules and nothing lost when the view shows every accepted transaction', () => {
      // Act
      const summary = summarizeRun(observe(accepted.map(shown), expectedCodes), expected, 1000);

      // Assess
      expect(summary.accepted).to.equal(expected.accepted.size);
      expect(summary.lost).to.equal(0);
      expect(summary.rejectMismatches).to.equal(0);
      expect(summary.doubleCounted).to.equal(0);
      expect(summary.notOffered).to.equal(0);
    });

    it('never counts a record of another producer (or an earlier run) against lost or totals, and reports it as not offered', () => {
      // Prepare: the view shows everything, plus one transaction the broker never offered.
      const foreign = shown({ ...accepted[0]!, transactionId: 'tx-from-elsewhere' });

      // Act
      const summary = summarizeRun(observe([...accepted.map(shown), foreign], expectedCodes), expected, 1000);

      // Assess
      expect(summary.lost).to.equal(0);
      expect(summary.notOffered).to.equal(1);
      expect(summary.inView).to.equal(expected.accepted.size);
      // It shares a month total with an accepted one: the total counts it at its own amount, nothing double-counted.
      expect(summary.doubleCounted).to.equal(0);
    });

    it('reports a valid line wrongly rejected as a reject mismatch and as lost', () => {
      // Prepare: the first accepted transaction never reached the view and sits in the reject store instead.
      const [wronglyRejected, ...rest] = accepted;
      expect(wronglyRejected).to.not.equal(undefined);

      // Act
      const summary = summarizeRun(observe(rest.map(shown), [...expectedCodes, RejectCode.Unscorable]), expected, 1000);

      // Assess
      expect(summary.accepted).to.equal(expected.accepted.size);
      expect(summary.lost).to.equal(1);
      expect(summary.rejectMismatches).to.equal(1);
    });

    it('reports an expected reject stored under another code', () => {
      // Prepare
      const otherCode = Object.values(RejectCode).find((code) => !expectedCodes.includes(code))!;

      // Act
      const summary = summarizeRun(observe(accepted.map(shown), expectedCodes.map(() => otherCode)), expected, 1000);

      // Assess
      expect(summary.rejectMismatches).to.equal(2 * expectedCodes.length);
      expect(summary.rejectReasons).to.deep.equal({ [otherCode]: expectedCodes.length });
    });
  });
});
