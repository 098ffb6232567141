import { expect } from 'chai';
import { storeBound, storeBoundLine } from '../../../local/signups/store-bound.js';

const units = (wru: number) => ({ wru, rru: 0, roles: {} });
/** Ten links a second apart from t = 10 s. */
const links = Array.from({ length: 10 }, (_, i) => 10_000 + i * 1_000);

describe('Sign-up phase: the store bound', () => {
  it('counts the histories and the live records offered in the window, and says out of reach above the ceiling', () => {
    // Prepare: 2 item writes per transaction (ledger and view); live 1,000/s from t = 0 for 30 s.
    const spent = { ledger: units(40_000), view: units(40_000) };

    // Act
    const bound = storeBound({
      spent,
      transactions: 40_000,
      historyTransactions: 10_000,
      ceilingPerSecond: 4_000,
      live: { perSecond: 1_000, fromMs: 0, records: 30_000 },
      linkedAtMs: links,
      signupTargetMs: 5_000,
      liveTargetMs: 1_000,
    });

    // Assess: window 10 s → 24 s (14 s); live offered 10 s → 23 s (13 s, 13,000 records, 99 % of them); 20,000 history writes.
    expect(bound).to.deep.equal({ writesPerTransaction: 2, ceilingPerSecond: 4_000, windowMs: 14_000, historyWrites: 20_000, liveWrites: 25_740, neededPerSecond: 3_267 });
    expect(storeBoundLine(bound, 10)).not.to.contain('out of reach');
    expect(storeBoundLine({ ...bound, ceilingPerSecond: 3_000 }, 10)).to.contain('out of reach');
  });

  it('counts only the live records offered before the feed ends, and none when it ended before the first link', () => {
    // Prepare
    const input = { spent: { view: units(1_000) }, transactions: 1_000, historyTransactions: 500, ceilingPerSecond: 4_000, linkedAtMs: links, signupTargetMs: 5_000, liveTargetMs: 1_000 };

    // Act
    const endsMidWave = storeBound({ ...input, live: { perSecond: 1_000, fromMs: 0, records: 15_000 } });
    const endedBefore = storeBound({ ...input, live: { perSecond: 1_000, fromMs: 0, records: 5_000 } });

    // Assess: offered 10 s → 15 s is 5,000 live records, at 1 write each, 99 % of them.
    expect(endsMidWave.liveWrites).to.equal(4_950);
    expect(endedBefore.liveWrites).to.equal(0);
    expect(() => storeBound({ ...input, linkedAtMs: [], live: { perSecond: 1, fromMs: 0, records: 1 } })).to.throw(RangeError, 'no sign-up linked');
  });

  it('does not call the target out of reach when the p95 is not the slowest sign-up', () => {
    // Prepare
    const bound = storeBound({
      spent: { view: units(1_000) },
      transactions: 1_000,
      historyTransactions: 900,
      ceilingPerSecond: 10,
      live: { perSecond: 1, fromMs: 0, records: 100 },
      linkedAtMs: links,
      signupTargetMs: 5_000,
      liveTargetMs: 1_000,
    });

    // Act / Assess: above the ceiling either way, but with 40 sign-ups p95 is not the slowest one.
    expect(bound.neededPerSecond).to.be.greaterThan(10);
    expect(storeBoundLine(bound, 10)).to.contain('out of reach');
    expect(storeBoundLine(bound, 40)).not.to.contain('out of reach');
  });
});
