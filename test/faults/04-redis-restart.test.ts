import { expect } from 'chai';
import { runScenario, syntheticLines } from './harness/scenario.js';

/** Long enough for every worker to see its connections drop and reconnect with back-off. */
const DOWN_MS = 2_000;

describe('Fault suite', function () {
  this.timeout(300_000);

  describe('Scenario: Redis restarted (AOF on) mid-run', function () {
    it('keeps every queued job and loses nothing', async function () {
      // Prepare
      const lines = syntheticLines(1000, 4004);

      // Act
      const { row, expected } = await runScenario({
        name: 'Redis restart (AOF) mid-run',
        lines,
        perSecond: 60,
        ownRedis: true,
        inject: async ({ redis, waitForInView, fault, details, log }) => {
          await waitForInView(100);
          const at = Date.now();
          await redis!.restart(DOWN_MS);
          fault(at);
          log(`Redis restarted on port ${redis!.port} after ${DOWN_MS} ms down`);
          details['downMs'] = DOWN_MS;
        },
      });

      // Assess
      expect(row.inView).to.equal(expected.accepted.size);
      expect(row.lost).to.equal(0);
      expect(row.doubleCounted).to.equal(0);
    });
  });
});
