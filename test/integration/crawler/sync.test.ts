import { expect } from 'chai';
import { Queue } from 'bullmq';
import { startBroker } from '../../../local/broker/index.js';
import type { SyncBrokerHandle } from '../../../local/broker/index.js';
import { KinesisProducer } from '../../../shared/kinesis/index.js';
import type { RawRecord } from '../../../shared/schemas/raw-record.js';
import { Lane } from '../../../shared/schemas/transaction-change.js';
import { SYNC_JOB_NAME, SYNC_JOB_VERSION, syncJobOptions } from '../../../shared/sync/sync-job.js';
import type { SyncJobData } from '../../../shared/sync/sync-job.js';
import { ConnectionCursors } from '../../../workers/crawler/connection-cursors.js';
import { ConnectionSyncer } from '../../../workers/crawler/connection-syncer.js';
import { createSyncCrawler } from '../../../workers/crawler/create.js';
import type { SyncCrawlerService } from '../../../workers/crawler/create.js';
import { CrawlerFencedError } from '../../../workers/crawler/errors.js';
import { IngestLedger } from '../../../workers/crawler/ingest-ledger.js';
import { SyncClient } from '../../../workers/crawler/sync-client.js';
import { createRedisConnection } from '../../../workers/lib/redis.js';
import { getLocalEnv, uniqueName } from '../../helpers/local-env.js';
import { crawlerFixture, FAST_CRAWLER, waitFor } from './helpers.js';
import type { CrawlerFixture } from './helpers.js';

/** What the stream says stands: per transaction its highest revision, removed ones gone. */
function standingFromStream(records: readonly RawRecord[]): Map<string, RawRecord> {
  const latest = new Map<string, RawRecord>();
  for (const r of records) {
    const id = r.transaction.transactionId;
    const held = latest.get(id);
    const rank = (x: RawRecord): [number, number] => [x.change?.revision ?? 0, x.change?.kind === 'removed' ? 1 : 0];
    // At one revision a removal of the old version and the new version come together (a date move); the version wins.
    if (held === undefined || rank(r)[0] > rank(held)[0] || (rank(r)[0] === rank(held)[0] && rank(r)[1] < rank(held)[1])) latest.set(id, r);
  }
  for (const [id, r] of latest) if (r.change?.kind === 'removed') latest.delete(id);
  return latest;
}

function expectStreamMatchesBroker(records: readonly RawRecord[], broker: SyncBrokerHandle, connectionIds: readonly string[]): void {
  const onStream = standingFromStream(records);
  const truth = connectionIds.flatMap((id) => broker.standing(id));
  expect([...onStream.keys()].sort()).to.deep.equal(truth.map((t) => t.transactionId).sort());
  for (const t of truth) expect(onStream.get(t.transactionId)?.transaction.amount).to.deep.equal(t.amount);
}

describe('Crawler: connections synced from their own cursors (the aggregator API)', () => {
  let fixture: CrawlerFixture;
  let broker: SyncBrokerHandle;
  const closers: (() => Promise<unknown>)[] = [];

  beforeEach(async () => {
    fixture = await crawlerFixture();
    broker = await startBroker({ records: 0, historyDelayMs: 10, maxPageSize: 100 });
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
    await broker.close();
    await fixture.cleanup();
  });

  function syncer(overrides: { cursors?: Pick<ConnectionCursors, 'begin' | 'save'> } = {}): ConnectionSyncer {
    const live = new KinesisProducer({ kinesis: fixture.kinesis, streamName: fixture.names.raw });
    const history = new KinesisProducer({ kinesis: fixture.kinesis, streamName: fixture.names.rawHistory });
    closers.push(() => Promise.all([live.close(), history.close()]));
    return new ConnectionSyncer({
      source: new SyncClient({ baseUrl: broker.url, apiKey: broker.apiKey }),
      ledger: new IngestLedger({ dynamodb: fixture.dynamodb, tableName: fixture.names.ledger }),
      publishers: { live, history },
      rejects: fixture.rejectStore,
      cursors: overrides.cursors ?? new ConnectionCursors({ dynamodb: fixture.dynamodb, tableName: fixture.names.state }),
      pageSize: 100,
      maxPagesPerJob: 1_000,
      ...FAST_CRAWLER,
    });
  }

  async function linked(userId: string, historySize: number): Promise<string> {
    const { connectionId } = broker.link(userId, historySize);
    await waitFor('the history job', () => broker.connections().find((c) => c.connectionId === connectionId)?.historyReadyAt !== undefined);
    return connectionId;
  }

  it('puts a history and then pending → posted, modified and removed changes on the stream with their envelopes', async () => {
    // Prepare
    const connectionId = await linked('user-s1', 250);
    const crawler = syncer();

    // Act
    const history = await crawler.sync({ connectionId, lane: Lane.History, historyComplete: true });
    broker.activity(connectionId, { pending: 2, add: 1 });
    const authorised = await crawler.sync({ connectionId, lane: Lane.Live, historyComplete: true });
    broker.activity(connectionId, { post: 2, modify: 1, remove: 1 });
    const live = await crawler.sync({ connectionId, lane: Lane.Live, historyComplete: true });
    const records = await fixture.readStream();

    // Assess
    expect(history).to.include({ more: false, historySynced: true, rejected: 0 });
    expect(live.historySynced || authorised.historySynced).to.equal(false);
    expectStreamMatchesBroker(records, broker, [connectionId]);
    const posted = records.filter((r) => r.change?.pendingTransactionId !== undefined);
    expect(posted).to.have.length(2);
    expect(records.filter((r) => r.change?.kind === 'removed').map((r) => r.transaction.transactionId)).to.include.members(posted.map((p) => p.change?.pendingTransactionId));
    expect(records.every((r) => r.change?.connectionId === connectionId)).to.equal(true);
    expect(new Set(records.filter((r) => r.change?.lane === Lane.History).map((r) => r.transaction.transactionId)).size).to.equal(250);
    const revisions = records.map((r) => r.change?.revision ?? -1);
    expect(new Set(revisions).size).to.equal(records.length);
    // Each lane on its own stream: the backfill never shares a shard with the live changes.
    const onHistoryStream = await fixture.readStream([fixture.names.rawHistory]);
    const onLiveStream = await fixture.readStream([fixture.names.raw]);
    expect(onHistoryStream.map((r) => r.change?.lane)).to.have.length(250).and.to.satisfy((lanes: unknown[]) => lanes.every((l) => l === Lane.History));
    expect(onLiveStream.length).to.equal(records.length - 250);
    expect(onLiveStream.every((r) => r.change?.lane === Lane.Live)).to.equal(true);
  });

  it('resumes a run that died after its puts and before its save: nothing lost, the page again at higher revisions', async () => {
    // Prepare: the first run dies on its third save, as a SIGKILL between put and save would leave it.
    const connectionId = await linked('user-s2', 450);
    const real = new ConnectionCursors({ dynamodb: fixture.dynamodb, tableName: fixture.names.state });
    let saves = 0;
    const dying: Pick<ConnectionCursors, 'begin' | 'save'> = {
      begin: (id) => real.begin(id),
      save: async (...args) => {
        saves += 1;
        if (saves === 3) throw new CrawlerFencedError('killed', 0);
        return real.save(...args);
      },
    };

    // Act
    const died = await syncer({ cursors: dying })
      .sync({ connectionId, lane: Lane.History, historyComplete: true })
      .catch((error: unknown) => error);
    const resumed = await syncer().sync({ connectionId, lane: Lane.History, historyComplete: true });
    const records = await fixture.readStream();

    // Assess
    expect(died).to.be.instanceOf(CrawlerFencedError);
    expect(resumed).to.include({ more: false, historySynced: true });
    expect(resumed.pages).to.equal(Math.ceil(450 / 100) - 2);
    expectStreamMatchesBroker(records, broker, [connectionId]);
    // The page that died was put twice; the second copies outrank the first.
    expect(records.length).to.equal(450 + 100);
  });

  it('fences off a run another crawler superseded', async () => {
    // Prepare
    const connectionId = await linked('user-s3', 10);
    const cursors = new ConnectionCursors({ dynamodb: fixture.dynamodb, tableName: fixture.names.state });
    const first = await cursors.begin(connectionId);
    await cursors.begin(connectionId);

    // Act
    const refused = await cursors.save(first, 'c', 1).catch((error: unknown) => error);

    // Assess
    expect(refused).to.be.instanceOf(CrawlerFencedError);
  });

  it('shares connections among two crawler processes through the sync queue, each history synced once to its end', async () => {
    // Prepare
    const env = await getLocalEnv();
    const queueName = uniqueName('sync');
    const prefix = `{${uniqueName('q')}}`;
    const connectionIds = await Promise.all(['user-f1', 'user-f2', 'user-f3', 'user-f4'].map((u) => linked(u, 150)));
    const queueRedis = createRedisConnection({ url: env.redisUrl });
    const queue = new Queue<SyncJobData>(queueName, { connection: queueRedis, prefix });
    closers.push(async () => {
      await queue.obliterate({ force: true });
      await queue.close();
      await queueRedis.quit();
    });
    const crawlers: SyncCrawlerService[] = [1, 2].map((n) => {
      const redis = createRedisConnection({ url: env.redisUrl, connectionName: `crawler-${n}` });
      const service = createSyncCrawler({
        kinesis: fixture.kinesis,
        dynamodb: fixture.dynamodb,
        brokerUrl: broker.url,
        brokerApiKey: broker.apiKey,
        rawStreamName: fixture.names.raw,
        rawHistoryStreamName: fixture.names.rawHistory,
        ingestLedgerTableName: fixture.names.ledger,
        crawlerStateTableName: fixture.names.state,
        rejectsTableName: fixture.names.rejects,
        redis,
        syncQueueName: queueName,
        queuePrefix: prefix,
        concurrency: 2,
        syncer: { pageSize: 50, maxPagesPerJob: 1, ...FAST_CRAWLER },
      });
      closers.push(async () => {
        await service.close();
        await redis.quit();
      });
      void service.worker.start();
      return service;
    });

    // Act: every history webhook arrives twice; the duplicates coalesce.
    const receivedAt = new Date().toISOString();
    for (let copy = 0; copy < 2; copy += 1) {
      for (const connectionId of connectionIds) {
        const data: SyncJobData = { v: SYNC_JOB_VERSION, connectionId, lane: Lane.History, reason: 'HISTORICAL_UPDATE', historyComplete: true, receivedAt };
        await queue.add(SYNC_JOB_NAME, data, syncJobOptions(data));
      }
    }
    await waitFor('every history synced', () => crawlers.reduce((n, c) => n + c.worker.stats().historiesSynced, 0) >= connectionIds.length);
    await waitFor('the queue drained', async () => (await crawlers[0]?.worker.backlog()) === 0);
    const records = await fixture.readStream();

    // Assess
    expectStreamMatchesBroker(records, broker, connectionIds);
    expect(records.length).to.equal(4 * 150);
    expect(crawlers.every((c) => c.worker.stats().jobs > 0)).to.equal(true);
    // A page of 50 from one user's months repeats keys: one record per key per call would need
    // at least three calls a page. Nothing downstream needs a key's order, so a page goes in one.
    for (const crawler of crawlers) expect(crawler.producers.history.counters().calls).to.be.at.most(crawler.worker.stats().pages);
  });
});
