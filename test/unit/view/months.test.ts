import { expect } from 'chai';
import { isBookedAt, isMonth, localMonth, monthAt, monthEndEverywhere, monthsAnywhere, monthsBefore, offsetMinutes, previousMonth, utcInstant } from '../../../shared/view/months.js';

describe('Module: shared/view/months', () => {
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
      expect(act).to.throw(RangeError, /offset/);
      expect(isBookedAt(bookedAt)).to.equal(false);
      expect(isBookedAt('2026-11-30T23:30:00Z')).to.equal(true);
    });
  });

  describe('Function: utcInstant', () => {
    it('gives two spellings of one instant the same text, sortable by time', () => {
      // Prepare
      const a = utcInstant('2026-11-20T10:15:00+01:00');

      // Act
      const b = utcInstant('2026-11-20T09:15:00.000Z');
      const later = utcInstant('2026-11-20T09:15:01Z');

      // Assess
      expect(a).to.equal(b);
      expect(later > a).to.equal(true);
    });
  });

  describe('Function: monthsBefore, previousMonth and monthAt', () => {
    it('cross year ends and follow the offset', () => {
      // Prepare
      const instant = new Date('2026-12-31T23:30:00Z');

      // Act
      const months = [previousMonth('2026-01'), previousMonth('2026-11'), monthsBefore('2026-02', 14), monthsBefore('2026-02', 0), monthAt(instant, 60), monthAt(instant, offsetMinutes('2026-12-31T18:30:00-05:00'))];

      // Assess
      expect(months).to.deep.equal(['2025-12', '2026-10', '2024-12', '2026-02', '2027-01', '2026-12']);
      expect(isMonth('2026-13')).to.equal(false);
      expect(() => monthsBefore('2026-13', 1)).to.throw(RangeError);
    });
  });

  describe('Function: monthsAnywhere', () => {
    it('names one month mid-month and both around the turn of a month, latest first', () => {
      // Prepare
      const midMonth = new Date('2026-11-18T12:00:00Z');
      const turn = new Date('2026-11-30T20:00:00Z');

      // Act
      const [one, two] = [monthsAnywhere(midMonth), monthsAnywhere(turn)];

      // Assess
      expect(one).to.deep.equal(['2026-11']);
      expect(two).to.deep.equal(['2026-12', '2026-11']);
    });
  });

  describe('Function: monthEndEverywhere', () => {
    it('is the last local midnight of the month at any offset the contract accepts (-14:00)', () => {
      // Prepare
      const month = '2026-11';

      // Act
      const end = monthEndEverywhere(month);

      // Assess
      expect(end).to.equal(Date.parse('2026-12-01T00:00:00-14:00') / 1000);
      expect(localMonth('2026-11-30T23:59:59-14:00')).to.equal(month);
      expect(Date.parse('2026-11-30T23:59:59-14:00') / 1000).to.be.below(end);
    });
  });
});
