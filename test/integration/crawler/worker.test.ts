import { expect } from 'chai';
import { encodeCursor, startBroker } from '../../../local/broker/index.js';
import type { BrokerHandle } from '../../../local/broker/index.js';
import { silentLogger } from '../../../shared/logger.js';
import { parseWorkerEnv } from '../../../shared/worker-env.js';
import { start } from '../../../workers/crawler/index.js';
import type { CrawlerStats } from '../../../workers/crawler/crawler.js';
import { HealthServer } from '../../../workers/runtime/health-server.js';
import { crawlerFixture, waitFor } from './helpers.js';
import type { CrawlerFixture } from './helpers.js';

describe('Function: start (crawler role)', function () {
  this.timeout(60_000);
  let fixture: CrawlerFixture;
  let broker: BrokerHandle;

  before(async () => {
    fixture = await crawlerFixture();
    broker = await startBroker({ records: 300, seed: 21 });
  });

  after(async () => {
    await fixture.cleanup();
    await broker.close();
  });

  it('crawls with the settings of its environment and reports its figures on /health until closed', async () => {
    // Prepare
    const env = parseWorkerEnv('crawler', {
      INSIGHTS_STACK: 'test',
      RAW_STREAM_NAME: fixture.names.raw,
      RAW_HISTORY_STREAM_NAME: fixture.names.rawHistory,
      INGEST_LEDGER_TABLE_NAME: fixture.names.ledger,
      CRAWLER_STATE_TABLE_NAME: fixture.names.state,
      REJECTS_TABLE_NAME: fixture.names.rejects,
      BROKER_URL: broker.url,
      BROKER_API_KEY: broker.apiKey,
      CRAWLER_PAGE_SIZE: '120',
      CRAWLER_IDLE_MS: '20',
      // The feed source (the default) never connects to Redis; the contract still names the sync queue.
      REDIS_URL: 'redis://127.0.0.1:1',
      SYNC_QUEUE_NAME: 'unused-sync',
      QUEUE_PREFIX: '{unused}',
    });
    const health = new HealthServer('crawler');
    const crawlerHealth = (): CrawlerStats | undefined => (health.report().body['details'] as { crawler?: CrawlerStats }).crawler;

    // Act
    const worker = await start({ role: 'crawler', env, logger: silentLogger(), aws: fixture.aws, health });
    await waitFor('the worker to reach the end', () => crawlerHealth()?.cursor === encodeCursor(300) && crawlerHealth()?.caughtUp === true);
    const report = health.report();
    await worker.close();
    await worker.close();

    // Assess
    expect(report.status).to.equal(200);
    expect(crawlerHealth()).to.include({ pages: 3, published: 300, state: 'closed' });
    expect(crawlerHealth()?.lastBrokerSuccessAt).to.be.a('string');
    expect(await fixture.readStream()).to.have.length(300);
    await health.close();
  });
});
