import { expect } from 'chai';
import { CATEGORIES } from '../../../shared/schemas/categories.js';
import { parseBrokerLine } from '../../../shared/schemas/transaction.js';
import { AnomalyKind, DEFAULT_GENERATE_OPTIONS, generateTransactions, transactionStream } from '../../../models/synthetic/index.js';

describe('Function: generateTransactions', () => {
  const sample = generateTransactions({ seed: 11, count: 4000, users: 60 });

  describe('Method: determinism', () => {
    it('gives the same lines for the same seed and other lines for another seed', () => {
      // Prepare
      const options = { seed: 11, count: 300, users: 60 };

      // Act
      const again = generateTransactions(options);
      const other = generateTransactions({ ...options, seed: 12 });

      // Assess
      expect(again).to.deep.equal(sample.slice(0, 300));
      expect(other.map((row) => row.broker)).to.not.deep.equal(again.map((row) => row.broker));
    });

    it('extends a shorter run: the first lines do not depend on count', () => {
      // Prepare
      const short = generateTransactions({ seed: 11, count: 150, users: 60 });

      // Act
      const prefix = sample.slice(0, 150);

      // Assess
      expect(short).to.deep.equal(prefix);
    });

    it('streams without end when no count is given', () => {
      // Prepare
      const stream = transactionStream({ seed: 11, users: 60 });

      // Act
      const taken = [];
      for (const row of stream) {
        taken.push(row);
        if (taken.length === 50) break;
      }

      // Assess
      expect(taken).to.deep.equal(sample.slice(0, 50));
    });
  });

  describe('Method: broker format', () => {
    it('produces lines that the broker contract accepts against the real clock', () => {
      // Prepare
      const lines = sample.map((row) => JSON.stringify(row.broker));

      // Act
      const rejected = lines.map((line) => ({ line, result: parseBrokerLine(line) })).filter(({ result }) => !result.ok);

      // Assess
      expect(rejected, JSON.stringify(rejected.slice(0, 3))).to.have.length(0);
    });

    it('books in time order from the default start, with unique transaction ids', () => {
      // Prepare
      const instants = sample.map((row) => Date.parse(row.broker.bookedAt));

      // Act
      const outOfOrder = instants.filter((instant, index) => index > 0 && instant < (instants[index - 1] as number));
      const ids = new Set(sample.map((row) => row.broker.transactionId));

      // Assess
      expect(outOfOrder).to.have.length(0);
      expect(instants[0]).to.be.at.least(Date.parse(DEFAULT_GENERATE_OPTIONS.startAt));
      expect(ids.size).to.equal(sample.length);
    });

    it('is mostly in EUR with a few other currencies, and names stores with number and city', () => {
      // Prepare
      const currencies = sample.map((row) => row.broker.amount.currency);

      // Act
      const eurShare = currencies.filter((code) => code === 'EUR').length / currencies.length;
      const storeNames = sample.filter((row) => /^ALBERT HEIJN \d{4} [A-Z ]+$/.test(row.broker.merchant.name));
      const withoutMcc = sample.filter((row) => row.broker.merchant.mcc === undefined);

      // Assess
      expect(eurShare).to.be.greaterThan(0.5);
      expect(new Set(currencies).size).to.be.greaterThan(3);
      expect(storeNames).to.not.be.empty;
      expect(withoutMcc).to.not.be.empty;
    });

    it('holds salaries and refunds as credits and spending as debits', () => {
      // Prepare
      const credits = sample.filter((row) => !row.broker.amount.value.startsWith('-'));

      // Act
      const incomes = credits.filter((row) => row.label.category === 'income');
      const refunds = credits.filter((row) => row.label.category === 'shopping' || row.label.category === 'travel');
      const debitIncome = sample.filter((row) => row.label.category === 'income' && row.broker.amount.value.startsWith('-'));

      // Assess
      expect(incomes).to.not.be.empty;
      expect(refunds).to.not.be.empty;
      expect(debitIncome).to.have.length(0);
    });
  });

  describe('Method: labels', () => {
    it('labels every line with a known category and every anomaly with its kind', () => {
      // Prepare
      const kinds = new Set<string>(Object.values(AnomalyKind));

      // Act
      const unknown = sample.filter((row) => !(CATEGORIES as readonly string[]).includes(row.label.category));
      const anomalies = sample.filter((row) => row.label.isAnomaly);
      const badKinds = anomalies.filter((row) => !kinds.has(row.label.anomalyKind ?? ''));

      // Assess
      expect(unknown).to.have.length(0);
      expect(anomalies).to.not.be.empty;
      expect(badKinds).to.have.length(0);
      expect(new Set(sample.map((row) => row.label.category)).size).to.equal(CATEGORIES.length);
    });

    it('injects anomalies at about the requested rate, and none when the rate is zero', () => {
      // Prepare
      const rate = 0.1;

      // Act
      const rows = generateTransactions({ seed: 3, count: 3000, users: 40, anomalyRate: rate });
      const clean = generateTransactions({ seed: 3, count: 3000, users: 40, anomalyRate: 0 });
      const share = rows.filter((row) => row.label.isAnomaly).length / rows.length;

      // Assess: the rate applies to everyday card payments only, which are most but not all lines.
      expect(share).to.be.within(rate / 3, rate);
      expect(clean.filter((row) => row.label.isAnomaly)).to.have.length(0);
    });
  });

  describe('Method: options', () => {
    it('rejects options that cannot be used, naming the option', () => {
      // Act
      const act = (options: Parameters<typeof generateTransactions>[0]) => () => generateTransactions(options);

      // Assess
      expect(act({ count: 1, users: 0 })).to.throw(RangeError, /users/);
      expect(act({ count: 1, anomalyRate: 2 })).to.throw(RangeError, /anomalyRate/);
      expect(act({ count: 1, startAt: 'not a date' })).to.throw(RangeError, /startAt/);
      expect(act({ count: 1, seed: 1.5 })).to.throw(RangeError, /seed/);
    });

    it('books nothing before startAt', () => {
      // Prepare
      const startAt = '2026-06-15T12:00:00+02:00';

      // Act
      const rows = generateTransactions({ seed: 5, count: 200, users: 30, startAt });

      // Assess
      expect(rows.every((row) => Date.parse(row.broker.bookedAt) >= Date.parse(startAt))).to.equal(true);
    });
  });
});
