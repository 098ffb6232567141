import { expect } from 'chai';
import { MAX_LINE_BYTES, parseBrokerLine, transactionContentHash } from '../../../shared/schemas/transaction.js';
import { brokerLine, brokerTransaction } from '../../helpers/factories.js';

const NOW = new Date('2026-11-25T12:00:00Z');

function codeOf(line: string): string {
  const result = parseBrokerLine(line, NOW);
  if (result.ok) throw new Error(`expected a reject for ${line}`);
  return result.code;
}

describe('Function: parseBrokerLine', () => {
  describe('a valid line', () => {
    it('normalises money to integer minor units and keeps the offset', () => {
      // Act
      const result = parseBrokerLine(brokerLine(), NOW);

      // Assess
      expect(result.ok).to.equal(true);
      if (!result.ok) return;
      expect(result.transaction.amount).to.deep.equal({ minor: -1250, currency: 'EUR' });
      expect(result.transaction.bookedAt).to.equal('2026-11-20T10:15:00+01:00');
      expect(result.transaction.merchant).to.deep.equal({ name: 'ALBERT HEIJN 1234 AMSTERDAM', mcc: '5411' });
    });

    it('keeps unknown extra fields in the original but not in the normalised transaction', () => {
      // Act
      const result = parseBrokerLine(brokerLine({ channel: 'card' }), NOW);

      // Assess
      expect(result.ok).to.equal(true);
      if (!result.ok) return;
      expect(result.original).to.have.property('channel', 'card');
      expect(result.transaction).not.to.have.property('channel');
    });

    it('accepts currencies without minor units and with three', () => {
      expect(parseBrokerLine(brokerLine({ amount: { value: '1500', currency: 'JPY' } }), NOW)).to.deep.include({ ok: true });
      const kwd = parseBrokerLine(brokerLine({ amount: { value: '1.234', currency: 'KWD' } }), NOW);
      expect(kwd.ok && kwd.transaction.amount.minor).to.equal(1234);
    });

    it('accepts leap days, fractional seconds and extreme real offsets', () => {
      for (const bookedAt of ['2024-02-29T10:00:00+01:00', '2026-11-20T10:15:00.123456Z', '2026-11-20T10:15-12:00', '2026-11-21T10:15:00+14:00']) {
        expect(parseBrokerLine(brokerLine({ bookedAt }), NOW).ok, bookedAt).to.equal(true);
      }
    });

    it('accepts optional fields left out', () => {
      const result = parseBrokerLine(brokerLine({ description: undefined, merchant: { name: 'X' } }), NOW);
      expect(result.ok).to.equal(true);
    });
  });

  describe('a broken line', () => {
    const cases: [string, string, string][] = [
      ['not JSON', '{"transactionId": ', 'invalid-json'],
      ['an array', '[1,2]', 'not-an-object'],
      ['a missing userId', brokerLine({ userId: undefined }), 'missing-field:userId'],
      ['a missing merchant name', brokerLine({ merchant: { mcc: '5411' } }), 'missing-field:merchant.name'],
      ['a missing amount', brokerLine({ amount: undefined }), 'missing-field:amount'],
      ['an id with a space', brokerLine({ transactionId: 'tx 1' }), 'bad-field:transactionId'],
      ['an id of 65 characters', brokerLine({ accountId: 'a'.repeat(65) }), 'bad-field:accountId'],
      ['a number as amount', brokerLine({ amount: { value: -12.5, currency: 'EUR' } }), 'bad-amount'],
      ['an amount with an exponent', brokerLine({ amount: { value: '1e3', currency: 'EUR' } }), 'bad-amount'],
      ['too many fraction digits', brokerLine({ amount: { value: '1.005', currency: 'EUR' } }), 'bad-amount'],
      ['fraction digits on JPY', brokerLine({ amount: { value: '100.5', currency: 'JPY' } }), 'bad-amount'],
      ['an unknown currency', brokerLine({ amount: { value: '1.00', currency: 'XYZ' } }), 'unknown-currency'],
      ['a withdrawn currency', brokerLine({ amount: { value: '1.00', currency: 'HRK' } }), 'unknown-currency'],
      ['a date without offset', brokerLine({ bookedAt: '2026-11-20T10:15:00' }), 'bad-date'],
      ['an impossible date', brokerLine({ bookedAt: '2026-13-40T10:15:00Z' }), 'bad-date'],
      ['February 30th', brokerLine({ bookedAt: '2026-02-30T10:00:00+01:00' }), 'bad-date'],
      ['hour 24', brokerLine({ bookedAt: '2026-11-20T24:00:00+01:00' }), 'bad-date'],
      ['an offset beyond +14:00', brokerLine({ bookedAt: '2026-11-20T10:00:00+15:00' }), 'bad-date'],
      ['a date two days ahead', brokerLine({ bookedAt: '2026-11-27T12:00:01Z' }), 'future-date'],
      ['a five-digit mcc', brokerLine({ merchant: { name: 'X', mcc: '54111' } }), 'bad-field:merchant.mcc'],
      ['an empty merchant name', brokerLine({ merchant: { name: '' } }), 'bad-field:merchant.name'],
      ['a long description', brokerLine({ description: 'x'.repeat(1001) }), 'bad-field:description'],
      ['a line over 64 KiB', brokerLine({ description: 'x'.repeat(MAX_LINE_BYTES) }), 'too-large'],
    ];
    for (const [what, line, code] of cases) {
      it(`rejects ${what} as ${code}`, () => {
        expect(codeOf(line)).to.equal(code);
      });
    }

    it('names the field in the message', () => {
      const result = parseBrokerLine(brokerLine({ amount: { value: '1.005', currency: 'EUR' } }), NOW);
      expect(!result.ok && result.message).to.contain('amount.value').and.contain('EUR has 2');
    });
  });
});

describe('Function: transactionContentHash', () => {
  it('is equal for the same meaning spelled differently and differs for other content', () => {
    // Prepare
    const a = parseBrokerLine(brokerLine(), NOW);
    const b = parseBrokerLine(JSON.stringify({ ...brokerTransaction(), bookedAt: '2026-11-20T09:15:00Z', extra: 1 }), NOW);
    const c = parseBrokerLine(brokerLine({ amount: { value: '-12.51', currency: 'EUR' } }), NOW);
    if (!a.ok || !b.ok || !c.ok) throw new Error('fixtures must be valid');

    // Act / Assess
    expect(transactionContentHash(a.transaction)).to.equal(transactionContentHash(b.transaction));
    expect(transactionContentHash(a.transaction)).not.to.equal(transactionContentHash(c.transaction));
  });
});
