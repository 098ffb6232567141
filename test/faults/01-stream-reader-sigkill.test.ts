import { expect } from 'chai';
import { runScenario, syntheticLines, waitForHealth } from './harness/scenario.js';

/** True while the reader has scoring jobs out for some shard: a batch is between read and checkpoint. */
const batchInFlight = (details: Record<string, unknown>): boolean => {
  const inFlight = (details['consumer'] as { jobsInFlight?: Record<string, number> } | undefined)?.jobsInFlight ?? {};
  return Object.values(inFlight).some((n) => n > 0);
};

describe('Fault suite', function () {
  this.timeout(300_000);

  describe('Scenario: the stream-reader SIGKILLed mid-batch, three times', function () {
    it('loses nothing and counts nothing twice', async function () {
      // Prepare
      const lines = syntheticLines(1200, 1001);
      let midBatch = 0;

      // Act
      const { row, expected } = await runScenario({
        name: 'stream-reader SIGKILL mid-batch ×3',
        lines,
        perSecond: 50,
        inject: async ({ pipeline, waitForInView, fault, details, log }) => {
          await waitForInView(50);
          for (let kill = 1; kill <= 3; kill += 1) {
            const reader = pipeline.workers('stream-reader').find((w) => w.alive)!;
            if (await waitForHealth(reader, batchInFlight, 15_000, 10)) midBatch += 1;
            const at = Date.now();
            reader.kill('SIGKILL');
            await reader.waitForExit();
            fault(at);
            log(`kill ${kill}: SIGKILLed ${reader.name}; starting another`);
            // The next kill waits until this new reader has taken the leases over and has a batch out.
            await pipeline.addWorker('stream-reader');
          }
          details['kills'] = 3;
          details['midBatch'] = midBatch;
        },
      });

      // Assess
      expect(midBatch, 'kills that hit a batch in flight').to.be.greaterThan(0);
      expect(row.inView).to.equal(expected.accepted.size);
      expect(row.lost).to.equal(0);
      expect(row.doubleCounted).to.equal(0);
    });
  });
});
