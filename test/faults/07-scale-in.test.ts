import { expect } from 'chai';
import { STREAM_READER_APPLICATION } from '../../workers/stream-reader/stream-reader.js';
import { containerStopTimeout } from '../../local/infra-settings.js';
import { leasesOf, ownedBy } from './harness/leases.js';
import { runScenario, syntheticLines, waitForHealth } from './harness/scenario.js';

const leasesHeld = (details: Record<string, unknown>): number => (details['consumer'] as { leasesHeld?: number } | undefined)?.leasesHeld ?? 0;

describe('Fault suite', function () {
  this.timeout(300_000);

  describe('Scenario: scale-in, a stream-reader sent SIGTERM', function () {
    it('hands its shards over well within the container stop timeout', async function () {
      // Prepare
      const lines = syntheticLines(1000, 7007);
      const stopTimeout = containerStopTimeout();
      let gapMs = Infinity;

      // Act
      const { row, expected } = await runScenario({
        name: 'scale-in: stream-reader SIGTERM',
        lines,
        perSecond: 60,
        workers: { 'stream-reader': 2 },
        inject: async ({ env, clients, pipeline, waitForInView, fault, details, log }) => {
          await waitForInView(100);
          const readers = pipeline.workers('stream-reader');
          // Both readers hold a shard once the leases balanced (one steal per pass).
          await Promise.all(readers.map((r) => waitForHealth(r, (d) => leasesHeld(d) >= 1, 20_000, 100)));
          const table = env.names.tables.leases;
          const held = await leasesOf(clients.dynamodb, table, STREAM_READER_APPLICATION);
          // The reader leaving is one that holds shards, so there is something to hand over.
          const leaving = readers.reduce((a, b) => (held.filter((l) => ownedBy(l, b.pid!)).length > held.filter((l) => ownedBy(l, a.pid!)).length ? b : a));
          const before = held.filter((l) => ownedBy(l, leaving.pid!));
          const shards = new Set(before.map((l) => l.leaseKey));
          const at = Date.now();
          leaving.kill('SIGTERM');
          const exited = leaving.waitForExit().then(() => Date.now());
          for (;;) {
            const leases = await leasesOf(clients.dynamodb, table, STREAM_READER_APPLICATION);
            const taken = leases.filter((l) => shards.has(l.leaseKey) && l.owner !== undefined && !ownedBy(l, leaving.pid!));
            if (taken.length === shards.size) break;
            if (Date.now() - at > stopTimeout.ms * 2) break;
            await new Promise((r) => setTimeout(r, 50));
          }
          gapMs = Date.now() - at;
          const exitMs = (await exited) - at;
          fault(at);
          log(`${leaving.name} held ${[...shards].join(', ')}; taken over after ${gapMs} ms; it exited after ${exitMs} ms`);
          details['shardsHandedOver'] = shards.size;
          details['handOffGapMs'] = gapMs;
          details['exitAfterSigtermMs'] = exitMs;
          details['stopTimeoutMs'] = stopTimeout.ms;
        },
      });

      // Assess
      expect(row.details['shardsHandedOver']).to.be.greaterThan(0);
      expect(gapMs, `hand-off gap vs ${stopTimeout.source}`).to.be.lessThan(stopTimeout.ms);
      expect(row.inView).to.equal(expected.accepted.size);
      expect(row.lost).to.equal(0);
      expect(row.doubleCounted).to.equal(0);
    });
  });
});
