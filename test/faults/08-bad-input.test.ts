import { expect } from 'chai';
import { RejectCode } from '../../shared/schemas/reject-codes.js';
import { brokerLine, brokerTransaction } from '../helpers/factories.js';
import { runScenario, syntheticLines } from './harness/scenario.js';

/** One broken line of each kind the crawler must reject, each with an id of its own. */
function brokenLines(good: readonly string[]): string[] {
  const future = new Date(Date.now() + 3 * 86_400_000).toISOString().replace('Z', '+00:00');
  const { userId: _userId, ...withoutUser } = brokerTransaction({ transactionId: 'bad-missing-user' });
  const conflicting = JSON.parse(good[7]!) as { amount: { value: string; currency: string } };
  conflicting.amount = { ...conflicting.amount, value: conflicting.amount.value === '1.00' ? '2.00' : '1.00' };
  return [
    '{"transactionId": "bad-json", "userId": ',
    '["not", "an", "object"]',
    brokerLine({ transactionId: 'bad-too-large', description: 'x'.repeat(70 * 1024) }),
    JSON.stringify(withoutUser),
    brokerLine({ transactionId: 'bad-amount', amount: { value: '12.345', currency: 'EUR' } }),
    brokerLine({ transactionId: 'bad-currency', amount: { value: '12.50', currency: 'ABC' } }),
    brokerLine({ transactionId: 'bad-future', bookedAt: future }),
    brokerLine({ transactionId: 'bad-date', bookedAt: '25/11/2026 10:15' }),
    brokerLine({ transactionId: 'bad-mcc', merchant: { name: 'SHOP', mcc: '12a' } }),
    brokerLine({ transactionId: 'bad id with spaces' }),
    JSON.stringify(conflicting),
  ];
}

describe('Fault suite', function () {
  this.timeout(300_000);

  describe('Scenario: bad input mixed into good', function () {
    it('puts every broken line in the reject store with its code and every good one in the view once', async function () {
      // Prepare
      const good = syntheticLines(600, 8008);
      const broken = brokenLines(good);
      const lines = [...good];
      // Spread the broken lines through the feed, after the good line they conflict with.
      broken.forEach((line, i) => lines.splice(20 + i * 50, 0, line));
      lines.push(good[3]!); // an exact duplicate: deduplicated, neither rejected nor counted twice

      // Act
      const { row, summary, expected } = await runScenario({ name: 'bad input mixed into good', lines, perSecond: 80 });

      // Assess
      const expectedReasons: Record<string, number> = {};
      for (const code of expected.rejected.values()) expectedReasons[code] = (expectedReasons[code] ?? 0) + 1;
      expect(expected.rejected.size).to.equal(broken.length);
      expect(expectedReasons[RejectCode.ConflictingDuplicate]).to.equal(1);
      expect(summary.rejectReasons).to.deep.equal(expectedReasons);
      expect(row.rejectMismatches).to.equal(0);
      expect(row.inView).to.equal(expected.accepted.size);
      expect(row.lost).to.equal(0);
      expect(row.doubleCounted).to.equal(0);
    });
  });
});
