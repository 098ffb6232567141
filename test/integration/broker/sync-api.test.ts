import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { startBroker } from '../../../local/broker/index.js';
import type { BrokerOptions, SyncAnswer, SyncBrokerHandle, SyncTransaction } from '../../../local/broker/index.js';
import { BODY_HASH_CLAIM, WEBHOOK_KEYS_PATH, WEBHOOK_SIGNATURE_HEADER, webhookBodySchema } from '../../../shared/sync/webhook.js';
import type { WebhookBody } from '../../../shared/sync/webhook.js';

interface Received {
  readonly body: string;
  readonly jwt: string;
}

/** A webhook endpoint that records what it is sent. */
async function webhookSink(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      received.push({ body: Buffer.concat(chunks).toString('utf8'), jwt: String(request.headers[WEBHOOK_SIGNATURE_HEADER] ?? '') });
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function sync(broker: SyncBrokerHandle, body: Record<string, unknown>): Promise<Response> {
  return fetch(new URL('/v1/transactions/sync', broker.url), { method: 'POST', headers: { authorization: `Bearer ${broker.apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** Syncs a connection to its end, retrying injected faults; returns every answer. */
async function syncAll(broker: SyncBrokerHandle, connectionId: string, cursor: string | null = null, count = 100): Promise<{ answers: SyncAnswer[]; cursor: string | null }> {
  const answers: SyncAnswer[] = [];
  for (let guard = 0; guard < 1000; guard += 1) {
    let answer: SyncAnswer;
    try {
      const response = await sync(broker, { connectionId, cursor, count });
      if (response.status !== 200) continue;
      answer = (await response.json()) as SyncAnswer;
    } catch {
      continue;
    }
    answers.push(answer);
    cursor = answer.next_cursor;
    if (!answer.has_more) return { answers, cursor };
  }
  throw new Error('sync never reached has_more false');
}

/** Applies answers as a client does: added and modified set, removed delete. */
function apply(answers: readonly SyncAnswer[], into = new Map<string, SyncTransaction>()): Map<string, SyncTransaction> {
  for (const a of answers) {
    for (const t of [...a.added, ...a.modified]) into.set(t.transactionId, t);
    for (const r of a.removed) into.delete(r.transactionId);
  }
  return into;
}

describe('Mock broker: the aggregator API (connections, sync, webhooks)', () => {
  const cleanups: (() => Promise<void>)[] = [];
  const start = async (options: Partial<BrokerOptions> = {}): Promise<SyncBrokerHandle> => {
    const broker = await startBroker({ records: 0, historyDelayMs: 10, ...options });
    cleanups.push(() => broker.close());
    return broker;
  };
  afterEach(async () => {
    await Promise.all(cleanups.splice(0).map((c) => c()));
  });

  it('links a connection, announces its history with a signed HISTORICAL_UPDATE, and syncs it to the end with has_more', async () => {
    // Prepare
    const sink = await webhookSink();
    cleanups.push(() => sink.close());
    const broker = await start({ webhookUrl: sink.url });
    const historySize = 730;

    // Act
    const linked = await fetch(new URL('/v1/connections', broker.url), { method: 'POST', headers: { authorization: `Bearer ${broker.apiKey}` }, body: JSON.stringify({ userId: 'user-a', historySize }) });
    const connection = (await linked.json()) as { connectionId: string };
    const webhook = await until('the history webhook', () => sink.received[0]);
    const { answers } = await syncAll(broker, connection.connectionId, null, 100);

    // Assess: the webhook is verified as the receiver will verify it.
    expect(linked.status).to.equal(201);
    const jwks = createLocalJWKSet((await (await fetch(new URL(WEBHOOK_KEYS_PATH, broker.url))).json()) as Parameters<typeof createLocalJWKSet>[0]);
    const { payload } = await jwtVerify(webhook.jwt, jwks, { maxTokenAge: '5m' });
    expect(payload[BODY_HASH_CLAIM]).to.equal(createHash('sha256').update(webhook.body).digest('hex'));
    const body: WebhookBody = webhookBodySchema.parse(JSON.parse(webhook.body));
    expect(body).to.include({ webhook_code: 'HISTORICAL_UPDATE', item_id: connection.connectionId, new_transactions: historySize });
    expect(answers.length).to.equal(Math.ceil(historySize / 100));
    expect(answers.slice(0, -1).every((a) => a.has_more)).to.equal(true);
    const all = apply(answers);
    expect(all.size).to.equal(historySize);
    expect([...all.values()].every((t) => t.userId === 'user-a')).to.equal(true);
    const months = new Set([...all.values()].map((t) => t.bookedAt.slice(0, 7)));
    // Up to 24 months, spread over several: the history must not sit on one partition key.
    expect(months.size).to.be.within(2, 25);
  });

  it('serves pending → posted, modifications and removals after the cursor, and coalesces the sync-available webhooks', async () => {
    // Prepare
    const sink = await webhookSink();
    cleanups.push(() => sink.close());
    const broker = await start({ webhookUrl: sink.url, webhookMaxDelayMs: 100 });
    const { connectionId } = broker.link('user-b', 20);
    await until('history', () => broker.connections()[0]?.historyReadyAt);
    const first = await syncAll(broker, connectionId);

    // Act: a burst of activity, then a sync from the saved cursor.
    broker.activity(connectionId, { pending: 3 });
    broker.activity(connectionId, { post: 2, modify: 1, remove: 1 });
    const second = await syncAll(broker, connectionId, first.cursor);

    // Assess
    const state = apply(second.answers, apply(first.answers));
    const truth = new Map(broker.standing(connectionId).map((t) => [t.transactionId, t]));
    expect([...state.keys()].sort()).to.deep.equal([...truth.keys()].sort());
    const posted = [...state.values()].filter((t) => t.pendingTransactionId !== undefined);
    expect(posted).to.have.length(2);
    for (const p of posted) expect(state.has(p.pendingTransactionId as string)).to.equal(false);
    expect(second.answers.flatMap((a) => a.modified)).to.have.length(1);
    await until('the sync webhooks', () => (broker.stats().webhooks.delivered >= 2 ? true : undefined));
    expect(broker.stats().webhooks.coalesced).to.equal(1);
  });

  it('refuses another connection\'s cursor and a cursor past the end; asks for the key first', async () => {
    // Prepare
    const broker = await start();
    const a = broker.link('user-c', 5);
    const b = broker.link('user-d', 5);
    await until('history', () => (broker.connections().every((c) => c.historyReadyAt !== undefined) ? true : undefined));
    const { cursor } = await syncAll(broker, a.connectionId);

    // Act
    const foreign = await sync(broker, { connectionId: b.connectionId, cursor });
    const noKey = await fetch(new URL('/v1/transactions/sync', broker.url), { method: 'POST', body: '{}' });

    // Assess
    expect(foreign.status).to.equal(400);
    expect(((await foreign.json()) as { error: string }).error).to.equal('invalid-cursor');
    expect(noKey.status).to.equal(401);
  });

  it('keeps the page faults on sync: injected 5xx and dropped connections, retried, lose nothing', async () => {
    // Prepare
    const broker = await start({ errorRate: 0.2, resetRate: 0.2, seed: 7 });
    const { connectionId } = broker.link('user-e', 300);
    await until('history', () => broker.connections()[0]?.historyReadyAt);

    // Act
    const { answers } = await syncAll(broker, connectionId, null, 25);

    // Assess
    expect(apply(answers).size).to.equal(300);
    const stats = broker.stats();
    expect(stats.injectedErrors + stats.injectedResets).to.be.greaterThan(0);
  });
});
