import { expect } from 'chai';
import { ValidationError } from '../../../shared/errors.js';
import { formatMinor, parseDecimalToMinor } from '../../../shared/money.js';

describe('Module: money', () => {
  describe('Function: parseDecimalToMinor', () => {
    it('converts without floating-point error', () => {
      expect(parseDecimalToMinor('0.29', 'EUR').minor).to.equal(29);
      expect(parseDecimalToMinor('-1234567.89', 'USD').minor).to.equal(-123456789);
      expect(parseDecimalToMinor('-0.00', 'EUR').minor).to.equal(0);
      expect(Object.is(parseDecimalToMinor('-0', 'JPY').minor, 0)).to.equal(true);
    });

    it('refuses amounts beyond what a double carries exactly', () => {
      expect(() => parseDecimalToMinor('99999999999999999', 'EUR')).to.throw(ValidationError, /too large/);
    });
  });

  describe('Function: formatMinor', () => {
    it('round-trips with parseDecimalToMinor', () => {
      for (const [value, currency] of [['-12.50', 'EUR'], ['0.05', 'USD'], ['1500', 'JPY'], ['1.234', 'KWD'], ['-0.0001', 'CLF']] as const) {
        expect(formatMinor(parseDecimalToMinor(value, currency))).to.equal(value);
      }
    });
  });
});
