import { expect } from 'chai';
import { waitForHealth } from './harness/scenario.js';
import { compareWithBroker, startSyncFleet } from './harness/sync-fleet.js';
import type { SyncFleet } from './harness/sync-fleet.js';

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

interface SyncHealth {
  readonly pages?: number;
  readonly historiesSynced?: number;
}

describe('Fault suite', function () {
  this.timeout(300_000);

  describe('Scenario: a crawler SIGKILLed mid-history while webhooks come duplicated, late and out of order', function () {
    let fleet: SyncFleet | undefined;
    afterEach(async () => {
      await fleet?.stop();
    });

    it('loses nothing and counts nothing twice: every connection ends at its latest versions', async function () {
      // Prepare: two crawlers on the sync queue; every other webhook sent twice, each up to 1.5 s late.
      fleet = await startSyncFleet({
        name: 'crawler-sigkill-mid-history',
        crawlers: 2,
        broker: { historyDelayMs: 100, historySize: 1200, maxPageSize: 100, webhookDuplicateRate: 0.5, webhookMaxDelayMs: 1500 },
        tuning: { CRAWLER_PAGE_SIZE: 100, CRAWLER_SYNC_CONCURRENCY: 2, CRAWLER_SYNC_LOCK_MS: 3000 },
      });
      const { broker } = fleet;
      const connections = ['user-k1', 'user-k2', 'user-k3', 'user-k4'].map((u) => broker.link(u).connectionId);

      // Act: kill a crawler once it has synced a few pages, with histories still under way.
      const victim = fleet.crawlers[0]!;
      const midHistory = await waitForHealth(victim, (d) => ((d['crawler'] as SyncHealth | undefined)?.pages ?? 0) >= 2, 60_000, 10);
      const historiesAtKill = fleet.crawlers.map(async (c) => ((await c.health())?.['details'] as { crawler?: SyncHealth } | undefined)?.crawler?.historiesSynced ?? 0);
      const syncedBeforeKill = (await Promise.all(historiesAtKill)).reduce((a, b) => a + b, 0);
      victim.kill('SIGKILL');
      await victim.waitForExit();
      await fleet.addCrawler();
      // Live activity meanwhile: pending card payments, then posted with a tip, a correction and a withdrawal.
      for (const id of connections) broker.activity(id, { pending: 2, add: 1 });
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      for (const id of connections) broker.activity(id, { post: 2, modify: 1, remove: 1 });
      await until('every connection synced to its latest versions', async () => compareWithBroker(await fleet!.readStream(), broker).lost === 0, 180_000);
      // Late webhooks may still bring syncs: let them land before the final count.
      await until('the last webhooks delivered', async () => broker.stats().webhooks.delivered + broker.stats().webhooks.failed >= broker.stats().webhooks.sent + broker.stats().webhooks.duplicated, 30_000);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const records = await fleet.readStream();
      const outcome = compareWithBroker(records, broker);

      // Assess
      expect(midHistory, 'the victim had synced pages before the kill').to.equal(true);
      expect(syncedBeforeKill, 'histories finished before the kill').to.be.lessThan(connections.length);
      expect(outcome.standing).to.be.greaterThan(0);
      expect(outcome.lost).to.equal(0);
      expect(outcome.doubleCounted).to.equal(0);
      expect(broker.stats().webhooks.duplicated, 'duplicated webhooks').to.be.greaterThan(0);
    });
  });
});
