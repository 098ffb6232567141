import { expect } from 'chai';
import { Queue } from 'bullmq';
import { createRedisConnection } from '../../workers/lib/redis.js';
import { runScenario, syntheticLines } from './harness/scenario.js';

describe('Fault suite', function () {
  this.timeout(300_000);

  describe('Scenario: a scorer SIGKILLed mid-job', function () {
    it('recovers the stalled job and loses nothing', async function () {
      // Prepare
      const lines = syntheticLines(800, 2002);
      let orphaned = 0;

      // Act
      const { row, expected } = await runScenario({
        name: 'scorer SIGKILL mid-job',
        lines,
        perSecond: 50,
        inject: async ({ env, pipeline, waitForInView, fault, details, log }) => {
          const connection = createRedisConnection({ url: env.redisUrl });
          const queue = new Queue(env.names.queues.scoring, { connection, prefix: env.names.queuePrefix });
          try {
            await waitForInView(50);
            // Only one scorer runs, so a job still active after it died is one it held: a stalled job.
            for (let attempt = 1; attempt <= 5 && orphaned === 0; attempt += 1) {
              const scorer = pipeline.workers('scorer').find((w) => w.alive)!;
              const deadline = Date.now() + 15_000;
              while ((await queue.getActiveCount()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
              const at = Date.now();
              scorer.kill('SIGKILL');
              await scorer.waitForExit();
              fault(at);
              orphaned = await queue.getActiveCount();
              log(`attempt ${attempt}: SIGKILLed ${scorer.name} with ${orphaned} job(s) active; starting another`);
              await pipeline.addWorker('scorer');
            }
            details['stalledJobs'] = orphaned;
          } finally {
            await queue.close();
            connection.disconnect();
          }
        },
      });

      // Assess
      expect(orphaned, 'jobs left active by the killed scorer').to.be.greaterThan(0);
      expect(row.inView).to.equal(expected.accepted.size);
      expect(row.lost).to.equal(0);
      expect(row.doubleCounted).to.equal(0);
    });
  });
});
