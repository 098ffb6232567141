import { expect } from 'chai';
import { Queue } from 'bullmq';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createHash } from 'node:crypto';
import { startBroker } from '../../../local/broker/index.js';
import type { SyncBrokerHandle } from '../../../local/broker/index.js';
import { Lane } from '../../../shared/schemas/transaction-change.js';
import type { SyncJobData } from '../../../shared/sync/sync-job.js';
import { BODY_HASH_CLAIM, WEBHOOK_KEYS_PATH, WEBHOOK_SIGNATURE_HEADER } from '../../../shared/sync/webhook.js';
import type { WebhookBody } from '../../../shared/sync/webhook.js';
import { createRedisConnection } from '../../../workers/lib/redis.js';
import { WEBHOOK_PATH, WebhookReceiver } from '../../../workers/webhook/receiver.js';
import { WebhookVerifier } from '../../../workers/webhook/verifier.js';
import { getLocalEnv, uniqueName } from '../../helpers/local-env.js';

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('Webhook role: the broker\'s webhooks in, verified, as coalesced sync jobs', () => {
  let broker: SyncBrokerHandle;
  let receiver: WebhookReceiver;
  let queue: Queue<SyncJobData>;
  let url: string;
  const closers: (() => Promise<unknown>)[] = [];

  beforeEach(async () => {
    const env = await getLocalEnv();
    broker = await startBroker({ records: 0, historyDelayMs: 10, historySize: 5, webhookDuplicateRate: 1, webhookMaxDelayMs: 200 });
    const redis = createRedisConnection({ url: env.redisUrl });
    queue = new Queue<SyncJobData>(uniqueName('sync'), { connection: redis, prefix: `{${uniqueName('q')}}` });
    receiver = new WebhookReceiver({ verifier: new WebhookVerifier({ keys: new URL(WEBHOOK_KEYS_PATH, broker.url) }), queue });
    url = `http://127.0.0.1:${await receiver.listen(0, '127.0.0.1')}${WEBHOOK_PATH}`;
    broker.setWebhookUrl(url);
    closers.push(
      () => broker.close(),
      () => receiver.close(),
      async () => {
        await queue.obliterate({ force: true });
        await queue.close();
        await redis.quit();
      },
    );
  });
  afterEach(async () => {
    for (const close of closers.splice(0)) await close().catch(() => undefined);
  });

  it('turns duplicated, late and reordered webhooks into one sync job per connection, history before live in priority', async () => {
    // Prepare
    const a = broker.link('user-w1');
    const b = broker.link('user-w2');
    await until('both histories announced', () => broker.stats().webhooks.delivered >= 4);

    // Act: live activity on one of them, its webhook duplicated and delayed as well.
    broker.activity(a.connectionId, { add: 2 });
    await until('the live webhooks', () => broker.stats().webhooks.delivered >= 6);
    const jobs = await queue.getJobs(['waiting', 'prioritized']);

    // Assess: six deliveries, two connections, two jobs (the live webhook coalesced into a's waiting job).
    expect(receiver.stats()).to.include({ received: 6, accepted: 6, refused: 0 });
    expect(jobs.map((j) => j.data.connectionId).sort()).to.deep.equal([a.connectionId, b.connectionId].sort());
    expect(jobs.every((j) => j.data.lane === Lane.History && j.data.historyComplete)).to.equal(true);
  });

  it('refuses and counts unsigned, stale, altered and foreign-signed webhooks, queueing nothing', async () => {
    // Prepare
    const body = JSON.stringify({ webhook_type: 'TRANSACTIONS', webhook_code: 'SYNC_UPDATES_AVAILABLE', item_id: 'conn-x', historical_update_complete: true } satisfies WebhookBody);
    const post = (headers: Record<string, string>, text = body) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: text });
    const foreign = await generateKeyPair('ES256');
    const foreignJwt = await new SignJWT({ [BODY_HASH_CLAIM]: createHash('sha256').update(body).digest('hex') })
      .setProtectedHeader({ alg: 'ES256', kid: (await exportJWK(foreign.publicKey)).kid ?? 'other' })
      .setIssuedAt()
      .sign(foreign.privateKey);

    // Act
    const answers = [
      await post({}),
      await post({ [WEBHOOK_SIGNATURE_HEADER]: await broker.signWebhook(body, new Date(Date.now() - 10 * 60_000)) }),
      await post({ [WEBHOOK_SIGNATURE_HEADER]: await broker.signWebhook(body) }, body.replace('conn-x', 'conn-y')),
      await post({ [WEBHOOK_SIGNATURE_HEADER]: foreignJwt }),
    ];
    const accepted = await post({ [WEBHOOK_SIGNATURE_HEADER]: await broker.signWebhook(body) });

    // Assess
    expect(answers.map((r) => r.status)).to.deep.equal([401, 401, 401, 401]);
    expect(accepted.status).to.equal(200);
    expect(receiver.stats().refusedByReason).to.deep.equal({ unsigned: 1, stale: 1, 'body-mismatch': 1, 'bad-signature': 1 });
    expect(receiver.takeRefused()).to.equal(4);
    expect((await queue.getJobs(['waiting', 'prioritized'])).map((j) => j.data)).to.have.length(1);
  });
});
