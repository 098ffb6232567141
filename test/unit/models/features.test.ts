import { expect } from 'chai';
import type { Transaction } from '../../../shared/schemas/transaction.js';
import {
  ANOMALY_FEATURES,
  ANOMALY_WIDTH,
  CATEGORISER_WIDTH,
  Featuriser,
  fitAnomalyStats,
  localTime,
  parseAnomalyStats,
  serialiseAnomalyStats,
  textTokens,
} from '../../../models/features/index.js';
import { trainingTransactions } from './helpers.js';

function transaction(overrides: Partial<Transaction> = {}): Transaction {
  return {
    transactionId: 'tx-1',
    userId: 'user-1',
    accountId: 'acct-1',
    bookedAt: '2026-11-25T17:15:00+01:00',
    amount: { minor: -2450, currency: 'EUR' },
    merchant: { name: 'ALBERT HEIJN 1234 AMSTERDAM', mcc: '5411' },
    ...overrides,
  };
}

const column = (name: (typeof ANOMALY_FEATURES)[number]): number => ANOMALY_FEATURES.indexOf(name);

describe('Class: Featuriser', () => {
  const history = trainingTransactions({ seed: 21, count: 6000, users: 80 });
  const stats = fitAnomalyStats(history);
  const featuriser = new Featuriser(stats);

  describe('Method: categoriser.featurise', () => {
    it('writes one fixed-width row per transaction, the same whatever else is in the batch', () => {
      // Prepare
      const a = transaction();
      const b = transaction({ merchant: { name: 'NS GROEP IZ UTRECHT', mcc: '4111' }, amount: { minor: -920, currency: 'EUR' } });

      // Act
      const both = featuriser.categoriser.featurise([a, b]);
      const alone = featuriser.categoriser.featurise([b]);

      // Assess
      expect(both).to.have.length(2 * CATEGORISER_WIDTH);
      expect(Array.from(both.subarray(CATEGORISER_WIDTH))).to.deep.equal(Array.from(alone));
    });

    it('ignores store numbers and references, so every store of a chain looks alike', () => {
      // Prepare
      const one = transaction({ merchant: { name: 'ALBERT HEIJN 1234 AMSTERDAM', mcc: '5411' } });
      const other = transaction({ merchant: { name: 'ALBERT HEIJN 0007 AMSTERDAM', mcc: '5411' } });

      // Act
      const rows = featuriser.categoriser.featurise([one, other]);

      // Assess
      expect(Array.from(rows.subarray(0, CATEGORISER_WIDTH))).to.deep.equal(Array.from(rows.subarray(CATEGORISER_WIDTH)));
    });

    it('clears a reused buffer so nothing of the previous batch leaks into the next', () => {
      // Prepare
      const buffer = new Float32Array(4 * CATEGORISER_WIDTH).fill(7);
      const fresh = featuriser.categoriser.featurise([transaction()]);

      // Act
      const reused = featuriser.categoriser.featurise([transaction()], buffer);

      // Assess
      expect(Array.from(reused)).to.deep.equal(Array.from(fresh));
    });
  });

  describe('Method: anomaly.featurise', () => {
    it('writes the documented columns, one row per transaction', () => {
      // Act
      const rows = featuriser.anomaly.featurise([transaction(), transaction()]);

      // Assess
      expect(ANOMALY_WIDTH).to.equal(ANOMALY_FEATURES.length);
      expect(rows).to.have.length(2 * ANOMALY_WIDTH);
      expect(Array.from(rows).every(Number.isFinite)).to.equal(true);
    });

    it('scores the night as less likely than the evening for a supermarket', () => {
      // Prepare
      const evening = transaction({ bookedAt: '2026-11-25T17:40:00+01:00' });
      const night = transaction({ bookedAt: '2026-11-25T03:10:00+01:00' });

      // Act
      const rows = featuriser.anomaly.featurise([evening, night]);

      // Assess
      const hour = column('hour_log_prob');
      expect(rows[ANOMALY_WIDTH + hour]).to.be.lessThan(rows[hour] as number);
      expect(rows[ANOMALY_WIDTH + column('is_night')]).to.equal(1);
    });

    it('puts a ten-times amount further from the brand and group typical amounts', () => {
      // Prepare
      const usual = transaction();
      const large = transaction({ amount: { minor: -24500, currency: 'EUR' } });

      // Act
      const rows = featuriser.anomaly.featurise([usual, large]);

      // Assess
      for (const name of ['amount_z_brand', 'amount_z_group'] as const) {
        expect(rows[ANOMALY_WIDTH + column(name)]).to.be.greaterThan(rows[column(name)] as number);
      }
      expect(rows[column('brand_known')]).to.equal(1);
    });

    it('marks a merchant never seen in training as unknown', () => {
      // Prepare
      const unseen = transaction({ merchant: { name: 'QUAZENTA DIGITAL LAGOS', mcc: '5732' }, amount: { minor: -41000, currency: 'USD' } });

      // Act
      const rows = featuriser.anomaly.featurise([unseen]);

      // Assess
      expect(rows[column('brand_known')]).to.equal(0);
      expect(rows[column('brand_log_count')]).to.equal(0);
    });
  });

  describe('Method: schemaHash', () => {
    it('is stable for the same statistics and changes with them', () => {
      // Prepare
      const again = new Featuriser(parseAnomalyStats(JSON.parse(serialiseAnomalyStats(stats))));
      const other = new Featuriser(fitAnomalyStats(history.slice(0, 3000)));

      // Assess
      expect(again.anomaly.schemaHash).to.equal(featuriser.anomaly.schemaHash);
      expect(again.categoriser.schemaHash).to.equal(featuriser.categoriser.schemaHash);
      expect(other.anomaly.schemaHash).to.not.equal(featuriser.anomaly.schemaHash);
      expect(featuriser.anomaly.schemaHash).to.match(/^[0-9a-f]{64}$/);
    });
  });
});

describe('Function: fitAnomalyStats', () => {
  it('serialises byte for byte the same from the same transactions', () => {
    // Prepare
    const history = trainingTransactions({ seed: 5, count: 2000, users: 40 });

    // Act
    const first = serialiseAnomalyStats(fitAnomalyStats(history));
    const second = serialiseAnomalyStats(fitAnomalyStats([...history]));

    // Assess
    expect(first).to.equal(second);
  });
});

describe('Function: textTokens', () => {
  it('drops tokens holding digits, folds accents and lower-cases', () => {
    // Act
    const tokens = textTokens('AMAZON.DE*89SB1VGTN MÜLLER Café P+R');

    // Assess
    expect(tokens).to.deep.equal(['amazon', 'de', 'muller', 'cafe', 'p', 'r']);
  });
});

describe('Function: localTime', () => {
  it('reads the wall-clock time in the offset the broker sent', () => {
    // Act
    const time = localTime('2026-11-29T03:10:00-05:00');

    // Assess
    expect(time).to.deep.equal({ hour: 3, minute: 10, weekday: 0, dayOfMonth: 29 });
  });
});
