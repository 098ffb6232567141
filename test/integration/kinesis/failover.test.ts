import { expect } from 'chai';
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { ShardConsumer } from '../../../shared/kinesis/index.js';
import type { KinesisFixture } from './helpers.js';
import { FAST_LEASES, kinesisFixture, leaseCounts, processedLog, putMany, testConsumer, waitFor } from './helpers.js';

const CHILD = fileURLToPath(new URL('./fixtures/consumer-process.ts', import.meta.url));

/**
 * Killing "without warning" is done to a real process with SIGKILL rather than to an in-process
 * consumer whose timers are stopped: a separate process proves no clean-up of any kind (close,
 * finally blocks, exit handlers, sockets closed politely) can have run, and costs about a second
 * to start.
 */
describe('Class: ShardConsumer', function () {
  this.timeout(60_000);
  let fx: KinesisFixture;
  let survivor: ShardConsumer | undefined;
  let child: ChildProcess | undefined;

  afterEach(async () => {
    child?.kill('SIGKILL');
    await survivor?.close();
    await fx?.cleanup();
  });

  describe('Method: start', () => {
    it("takes a killed consumer's shards after the failover time and loses no record", async () => {
      // Prepare
      fx = await kinesisFixture(4);
      const childWorker = 'worker-killed';
      const childData = new Set<string>();
      child = fork(CHILD, [], {
        execArgv: ['--import=tsx'],
        env: { ...process.env, ...fx.env.awsEnvFor('stream-reader'), KCL_TEST_CONFIG: JSON.stringify({ ...FAST_LEASES, streamName: fx.streamName, leaseTableName: fx.leaseTableName, applicationName: fx.applicationName, workerId: childWorker }) },
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      });
      child.on('message', (message: { type: string; data?: string[] }) => message.data?.forEach((d) => childData.add(d)));
      await once(child, 'message');
      const log = processedLog();
      survivor = testConsumer(fx, log, { workerId: 'worker-survivor' });
      await survivor.start();
      await waitFor('2-2 between the child and the survivor', async () => (await leaseCounts(fx)).get(childWorker) === 2 && survivor?.heldShards().length === 2);
      const before = await putMany(fx, 2_000, 'before');
      await waitFor('records put before the kill', () => before.every((d) => childData.has(d) || log.distinct().has(d)));

      // Act
      child.kill('SIGKILL');
      await once(child, 'exit');
      const killed = Date.now();
      const [during] = await Promise.all([putMany(fx, 2_000, 'during'), waitFor('the survivor holding all 4 shards', () => survivor?.heldShards().length === 4, 20_000, 10)]);
      const takeoverMs = Date.now() - killed;
      await waitFor('records put after the kill', () => during.every((d) => log.distinct().has(d)));
      const processed = new Set([...childData, ...log.distinct()]);

      // Assess
      console.log(`      failover in ${takeoverMs} ms after SIGKILL (failover time ${FAST_LEASES.failoverTimeMs} ms, renew every ${FAST_LEASES.renewIntervalMs} ms); child processed ${[...childData].filter((d) => d.startsWith('before')).length} of the first 2,000`);
      expect([...childData].some((d) => d.startsWith('before'))).to.equal(true);
      expect(takeoverMs).to.be.at.least(FAST_LEASES.failoverTimeMs - FAST_LEASES.renewIntervalMs);
      for (const d of [...before, ...during]) expect(processed.has(d), d).to.equal(true);
    });
  });
});
