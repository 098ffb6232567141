import { expect } from 'chai';
import { parseBrokerLine } from '../../../shared/schemas/transaction.js';
import { checkArchiveLine } from '../../../workers/batch/archive-line.js';
import { BROKEN_CASES, FIXTURE_INGESTED_AT, VALID_CASES, rawRecord } from '../../fixtures/analytics/archive-fixture.js';
import { brokerTransaction } from '../../helpers/factories.js';

describe('Function: checkArchiveLine', () => {
  it('turns a valid raw record into a staged row with money in minor units and the local date', () => {
    for (const { raw, expected } of VALID_CASES) {
      // Act
      const outcome = checkArchiveLine(JSON.stringify(raw));

      // Assess
      expect(outcome.ok, raw.transaction.transactionId).to.equal(true);
      if (!outcome.ok) continue;
      expect(outcome.row.transactionId).to.equal(raw.transaction.transactionId);
      expect(outcome.row.amountMinor).to.equal(expected.amount_minor);
      expect(outcome.row.currency).to.equal(expected.currency);
      expect(outcome.row.localDate).to.equal(expected.local_date);
      expect(outcome.row.merchantNormalised).to.equal(expected.merchant_normalised);
      expect(outcome.row.bookedAtMicros).to.equal(BigInt(Date.parse(raw.transaction.bookedAt)) * 1000n);
      expect(outcome.row.ingestedAtMicros).to.equal(BigInt(Date.parse(raw.ingestedAt)) * 1000n);
    }
  });

  it('rejects each broken line with its code', () => {
    for (const { line, code } of BROKEN_CASES) {
      // Act
      const outcome = checkArchiveLine(line);

      // Assess
      expect(outcome.ok, line).to.equal(false);
      if (!outcome.ok) expect(outcome.code, line).to.equal(code);
    }
  });

  it("decides every transaction exactly as the crawler's parseBrokerLine does at ingestion time", () => {
    // Prepare: one broken transaction per rule, plus extremes that are valid.
    const variants: Record<string, unknown>[] = [
      brokerTransaction(),
      brokerTransaction({ transactionId: 'bad id!' }),
      brokerTransaction({ userId: undefined }),
      brokerTransaction({ bookedAt: '2026-11-20 10:15' }),
      brokerTransaction({ bookedAt: '2026-02-30T10:15:00Z' }),
      brokerTransaction({ bookedAt: '2026-11-25T11:59:00Z' }),
      brokerTransaction({ bookedAt: '2026-11-25T12:01:00Z' }),
      brokerTransaction({ amount: { value: '12,50', currency: 'EUR' } }),
      brokerTransaction({ amount: { value: '1.5', currency: 'JPY' } }),
      brokerTransaction({ amount: { value: '1', currency: 'HRK' } }),
      brokerTransaction({ merchant: { name: '' } }),
      brokerTransaction({ merchant: { name: 'X', mcc: '54' } }),
      brokerTransaction({ description: 'd'.repeat(1001) }),
      brokerTransaction({ description: 'x'.repeat(70 * 1024) }),
      brokerTransaction({ extra: { nested: true } }),
    ];
    const now = new Date(FIXTURE_INGESTED_AT);

    for (const transaction of variants) {
      // Act
      const archived = checkArchiveLine(JSON.stringify({ ...rawRecord(brokerTransaction()), transaction }));
      const crawler = parseBrokerLine(JSON.stringify(transaction), now);

      // Assess
      expect(archived.ok, JSON.stringify(transaction).slice(0, 120)).to.equal(crawler.ok);
      if (!archived.ok && !crawler.ok) expect(archived.code).to.equal(crawler.code);
    }
  });

  it('refuses an envelope that is not the raw record the crawler writes', () => {
    // Prepare
    const raw = rawRecord(brokerTransaction());
    const lines = [JSON.stringify({ ...raw, ingestedAt: 'yesterday' }), JSON.stringify({ ...raw, source: undefined }), JSON.stringify({ ...raw, transaction: undefined }), '[1,2]'];

    for (const line of lines) {
      // Act
      const outcome = checkArchiveLine(line);

      // Assess
      expect(outcome.ok, line).to.equal(false);
      if (!outcome.ok) {
        expect(outcome.code, line).to.equal('malformed-record');
        expect(outcome.json).to.equal(true);
      }
    }
  });
});
