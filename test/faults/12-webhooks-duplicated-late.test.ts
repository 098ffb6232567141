import { expect } from 'chai';
import { WEBHOOK_SIGNATURE_HEADER } from '../../shared/sync/webhook.js';
import { compareWithBroker, startSyncFleet } from './harness/sync-fleet.js';
import type { SyncFleet } from './harness/sync-fleet.js';

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

interface WebhookHealth {
  readonly accepted?: number;
  readonly refused?: number;
}

describe('Fault suite', function () {
  this.timeout(300_000);

  describe('Scenario: every webhook duplicated, each up to 3 s late (so out of order), and forged ones among them', function () {
    let fleet: SyncFleet | undefined;
    afterEach(async () => {
      await fleet?.stop();
    });

    it('refuses the forged ones, syncs every connection to its latest versions, loses nothing and counts nothing twice', async function () {
      // Prepare
      fleet = await startSyncFleet({
        name: 'webhooks-duplicated-late',
        crawlers: 1,
        broker: { historyDelayMs: 50, historySize: 300, maxPageSize: 100, webhookDuplicateRate: 1, webhookMaxDelayMs: 3000 },
        tuning: { CRAWLER_PAGE_SIZE: 100 },
      });
      const { broker, webhook } = fleet;
      const connections = ['user-d1', 'user-d2', 'user-d3'].map((u) => broker.link(u).connectionId);
      const { webhookUrl } = fleet;

      // Act: bursts of activity whose webhooks overtake each other; an unsigned and a stale copy of a real one.
      for (let round = 0; round < 3; round += 1) {
        for (const id of connections) broker.activity(id, round === 0 ? { pending: 2, add: 2 } : { post: 1, modify: 1, remove: 1, add: 1 });
        await new Promise((resolve) => setTimeout(resolve, 700));
      }
      const body = JSON.stringify({ webhook_type: 'TRANSACTIONS', webhook_code: 'SYNC_UPDATES_AVAILABLE', item_id: connections[0], historical_update_complete: true });
      const unsigned = await fetch(webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const stale = await fetch(webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', [WEBHOOK_SIGNATURE_HEADER]: await broker.signWebhook(body, new Date(Date.now() - 3_600_000)) }, body });
      const stats = () => broker.stats().webhooks;
      await until('every webhook delivered', async () => stats().delivered + stats().failed >= stats().sent + stats().duplicated, 60_000);
      await until('every connection synced to its latest versions', async () => compareWithBroker(await fleet!.readStream(), broker).lost === 0, 120_000);
      const outcome = compareWithBroker(await fleet.readStream(), broker);
      const health = ((await webhook.health())?.['details'] as { webhook?: WebhookHealth } | undefined)?.webhook;

      // Assess
      expect([unsigned.status, stale.status]).to.deep.equal([401, 401]);
      expect(health?.refused).to.equal(2);
      expect(health?.accepted).to.equal(stats().delivered);
      expect(stats().duplicated).to.equal(stats().sent);
      expect(outcome.standing).to.be.greaterThan(0);
      expect(outcome.lost).to.equal(0);
      expect(outcome.doubleCounted).to.equal(0);
    });
  });
});
