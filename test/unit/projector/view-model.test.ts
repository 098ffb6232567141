import { expect } from 'chai';
import { auditTotals, classifyItems, localMonth, monthAt, monthExpiry, offsetMinutes, previousMonth, toTransactionItem, totalDeltas, transactionSk, utcInstant } from '../../../workers/projector/view-model.js';
import type { TotalItem } from '../../../workers/projector/view-model.js';
import { scoredResult } from '../../integration/projector/scored-results.js';

describe('Module: view-model', () => {
  describe('Function: localMonth', () => {
    it("takes the month of the user's local date, not of the UTC instant", () => {
      // Prepare
      const cases = { '2026-11-30T23:30:00-05:00': '2026-11', '2026-12-01T00:30:00+01:00': '2026-12', '2026-01-01T00:00Z': '2026-01' };

      // Act
      const months = Object.keys(cases).map(localMonth);

      // Assess
      expect(months).to.deep.equal(Object.values(cases));
      expect(utcInstant('2026-11-30T23:30:00-05:00').slice(0, 7)).to.equal('2026-12');
    });

    it('refuses a date without an offset', () => {
      // Prepare
      const bookedAt = '2026-11-30T23:30:00';

      // Act
      const act = () => localMonth(bookedAt);

      // Assess
      expect(act).to.throw(RangeError);
    });
  });

  describe('Function: transactionSk', () => {
    it('gives two spellings of one instant the same key, sortable by time', () => {
      // Prepare
      const a = transactionSk('2026-11-20T10:15:00+01:00', 'tx-1');

      // Act
      const b = transactionSk('2026-11-20T09:15:00.000Z', 'tx-1');
      const later = transactionSk('2026-11-20T09:15:01Z', 'tx-0');

      // Assess
      expect(a).to.equal(b);
      expect(later > a).to.equal(true);
    });
  });

  describe('Function: previousMonth and monthAt', () => {
    it('cross year ends and follow the offset', () => {
      // Prepare
      const instant = new Date('2026-12-31T23:30:00Z');

      // Act
      const months = [previousMonth('2026-01'), previousMonth('2026-11'), monthAt(instant, 60), monthAt(instant, offsetMinutes('2026-12-31T18:30:00-05:00'))];

      // Assess
      expect(months).to.deep.equal(['2025-12', '2026-10', '2027-01', '2026-12']);
    });
  });

  describe('Function: monthExpiry', () => {
    it('keeps items for ever at 0 days and expires a whole month together otherwise', () => {
      // Prepare
      const days = 30;

      // Act
      const never = monthExpiry('2026-11', 0);
      const expiry = monthExpiry('2026-11', days);

      // Assess
      expect(never).to.deep.equal({});
      expect(expiry.expiresAt).to.be.greaterThan(Date.UTC(2026, 11, 1) / 1000 + days * 86_400 - 1);
    });
  });

  describe('Function: auditTotals', () => {
    it('finds totals that differ from their transactions and transactions with no total', () => {
      // Prepare
      const results = [scoredResult({ transactionId: 'a' }), scoredResult({ transactionId: 'b' }), scoredResult({ transactionId: 'c', category: 'dining' })];
      const transactions = results.map((r) => toTransactionItem(r, '2026-11-20T09:15:02.000Z'));
      const [groceries] = totalDeltas(results);
      const wrong: TotalItem = { ...groceries!, kind: 'total', sumMinor: groceries!.sumMinor * 2, updatedAt: 'x' };

      // Act
      const mismatches = auditTotals(classifyItems([...transactions, wrong] as unknown as Record<string, unknown>[]));

      // Assess
      expect(mismatches.map((m) => m.sk)).to.deep.equal(['TOTAL#2026-11#groceries#EUR', 'TOTAL#2026-11#dining#EUR']);
      expect(mismatches[0]?.expected).to.deep.equal({ sumMinor: -2500, txnCount: 2 });
    });
  });
});
