import { Queue } from 'bullmq';
import { expect } from 'chai';
import { createRedisConnection } from '../../workers/lib/redis.js';
import { runScenario, syntheticLines } from './harness/scenario.js';

/** Long enough for every worker to see its connections drop and reconnect with back-off. */
const DOWN_MS = 2_000;
/** Jobs that must be waiting in Redis when it goes down, so the restart has something to lose. */
const MIN_QUEUED = 3;
/** Every state a job is in between being added and finishing. */
const UNFINISHED = ['waiting', 'prioritized', 'delayed', 'active'] as const;

describe('Fault suite', function () {
  this.timeout(300_000);

  describe('Scenario: Redis restarted (AOF on) mid-run', function () {
    it('keeps every job queued when Redis went down and loses nothing', async function () {
      // Prepare
      const lines = syntheticLines(1000, 4004);
      let queuedAtRestart: string[] = [];
      let keptAfterRestart: string[] = [];

      // Act
      const { row, expected } = await runScenario({
        name: 'Redis restart (AOF) mid-run',
        lines,
        perSecond: 60,
        ownRedis: true,
        inject: async ({ env, redis, waitForInView, fault, details, log }) => {
          await waitForInView(100);
          // Scorers drain the queue within milliseconds; pausing it lets the stream-reader's jobs
          // wait in Redis, so the restart happens with jobs that exist only there.
          const queueOf = () => {
            const connection = createRedisConnection({ url: env.redisUrl, connectionName: 'fault-04' });
            return { connection, queue: new Queue(env.names.queues.scoring, { connection, prefix: env.names.queuePrefix }) };
          };
          const before = queueOf();
          try {
            await before.queue.pause();
            const deadline = Date.now() + 60_000;
            while ((await before.queue.getJobs([...UNFINISHED])).length < MIN_QUEUED) {
              if (Date.now() > deadline) throw new Error(`fewer than ${MIN_QUEUED} jobs queued within 60 s of pausing the queue`);
              await new Promise((r) => setTimeout(r, 50));
            }
            queuedAtRestart = (await before.queue.getJobs([...UNFINISHED])).flatMap((job) => (job.id === undefined ? [] : [job.id]));
          } finally {
            await before.queue.close();
            await before.connection.quit();
          }
          const at = Date.now();
          await redis!.restart(DOWN_MS);
          fault(at);
          log(`Redis restarted on port ${redis!.port} after ${DOWN_MS} ms down, with ${queuedAtRestart.length} job(s) queued`);
          const after = queueOf();
          try {
            const found = await Promise.all(queuedAtRestart.map((id) => after.queue.getJob(id)));
            keptAfterRestart = found.flatMap((job) => (job?.id === undefined ? [] : [job.id]));
            await after.queue.resume();
          } finally {
            await after.queue.close();
            await after.connection.quit();
          }
          details['downMs'] = DOWN_MS;
          details['queuedAtRestart'] = queuedAtRestart.length;
        },
      });

      // Assess
      expect(queuedAtRestart.length, 'jobs queued when Redis went down').to.be.at.least(MIN_QUEUED);
      expect(keptAfterRestart, 'the queued jobs, read back after the restart').to.have.members(queuedAtRestart);
      expect(row.inView).to.equal(expected.accepted.size);
      expect(row.lost).to.equal(0);
      expect(row.doubleCounted).to.equal(0);
    });
  });
});
