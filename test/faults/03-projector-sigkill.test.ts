import { expect } from 'chai';
import { runScenario, syntheticLines, waitForHealth } from './harness/scenario.js';

type WriterStats = { writes?: number; transactions?: number };
const writerOf = (details: Record<string, unknown>): WriterStats => (details['projector'] as { writer?: WriterStats } | undefined)?.writer ?? {};

describe('Fault suite', function () {
  this.timeout(300_000);

  describe('Scenario: the projector SIGKILLed while writing', function () {
    it('leaves every total exact and loses nothing', async function () {
      // Prepare
      const lines = syntheticLines(1000, 3003);
      let whileWriting = false;

      // Act
      const { row, expected } = await runScenario({
        name: 'projector SIGKILL while writing',
        lines,
        perSecond: 60,
        inject: async ({ pipeline, waitForInView, fault, details, log }) => {
          await waitForInView(50);
          const projector = pipeline.workers('projector').find((w) => w.alive)!;
          // A write() has started and its transactions are not all committed yet: writes moved, transactions lag.
          let seen = writerOf((await projector.health())?.['details'] as Record<string, unknown>);
          whileWriting = await waitForHealth(
            projector,
            (d) => {
              const now = writerOf(d);
              const moved = (now.writes ?? 0) > (seen.writes ?? 0);
              seen = now;
              return moved;
            },
            15_000,
            5,
          );
          const at = Date.now();
          projector.kill('SIGKILL');
          await projector.waitForExit();
          fault(at);
          log(`SIGKILLed ${projector.name} (${whileWriting ? 'a write had just started' : 'no write seen starting'}); starting another`);
          await pipeline.addWorker('projector');
          details['whileWriting'] = whileWriting ? 'yes' : 'no';
        },
      });

      // Assess
      expect(whileWriting, 'the kill came while a batch was being written').to.equal(true);
      expect(row.inView).to.equal(expected.accepted.size);
      expect(row.lost).to.equal(0);
      expect(row.doubleCounted).to.equal(0);
    });
  });
});
