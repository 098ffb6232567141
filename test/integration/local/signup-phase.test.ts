import { expect } from 'chai';
import { crawlerFleet, fleetReportLines } from '../../../local/signups/crawler-fleet.js';
import { signupPhase, signupReportLines } from '../../../local/signups/signup-phase.js';
import { getLocalEnv } from '../../helpers/local-env.js';

describe('Bench: the sign-up phase, at a tiny size', function () {
  this.timeout(300_000);

  it('measures every sign-up whole in the view beside live traffic, and the crawler fleet from one process to two', async () => {
    // Prepare
    const env = await getLocalEnv();

    // Act
    const phase = await signupPhase({ env, signups: 2, historySize: 200, livePerShard: 20, shards: 1, crawlers: 1, signupIntervalMs: 200, timeoutMs: 90_000 });
    const scaling = await crawlerFleet({ env, connections: 2, historySize: 200, shards: 1 });
    const lines = [...signupReportLines(phase), ...fleetReportLines(scaling)];

    // Assess
    expect(phase.signups).to.include({ count: 2, incomplete: 0, transactions: 2 * 200 });
    expect(phase.signups.p95Ms).to.be.greaterThan(0);
    expect(phase.offeredPerSecond).to.deep.equal({ live: 20, history: (2 * 200) / 0.4 });
    expect(phase.carriedPerSecond).to.be.greaterThan(0);
    expect(scaling.one.recordsPerSecond).to.be.greaterThan(0);
    expect(scaling.two.recordsPerSecond).to.be.greaterThan(0);
    expect(lines.join('\n')).to.contain(`target < ${phase.targetP95Ms} ms`).and.to.contain(`target ≥ ×${scaling.target}`).and.to.contain('cores bound: ×');
    // Live traffic starts once the fleet is up, right before the first link, not while the workers load.
    expect(phase.linkedAtMs).to.have.length(2);
    expect(phase.live.fromMs).to.be.at.most(Math.min(...phase.linkedAtMs));
    expect(Math.min(...phase.linkedAtMs) - phase.live.fromMs).to.be.below(5_000);
  });
});
