import type { StartRole } from '../runtime/worker-runtime.js';
import { METRIC_STACK_DIMENSION, PIPELINE_METRICS } from '../../shared/metrics.js';
import { MetricsEmitter, PeriodicMetric } from '../lib/metrics.js';
import { createRedisConnection } from '../lib/redis.js';
import { createCrawler, createSyncCrawler } from './create.js';

/**
 * The crawler role: broker pages onto the raw stream, broken lines into the reject store. Thin
 * wiring; the logic is in `Crawler` (cursor, retries), `PageProcessor` (validation, ledger,
 * publication) and `BrokerClient` (the HTTP API).
 */
/** What both sources share: the broker, the raw stream, the ledger, the cursor state and the reject store. */
function publishingDeps({ env, logger, aws }: Parameters<StartRole<'crawler'>>[0]) {
  return {
    kinesis: aws.kinesis,
    dynamodb: aws.dynamodb,
    brokerUrl: env.BROKER_URL,
    brokerApiKey: env.BROKER_API_KEY,
    rawStreamName: env.RAW_STREAM_NAME,
    ingestLedgerTableName: env.INGEST_LEDGER_TABLE_NAME,
    crawlerStateTableName: env.CRAWLER_STATE_TABLE_NAME,
    rejectsTableName: env.REJECTS_TABLE_NAME,
    logger,
  };
}

export const start: StartRole<'crawler'> = async (context) => {
  if (context.env.CRAWLER_SOURCE === 'sync') return startSync(context);
  const { env, logger, health } = context;
  const service = createCrawler({
    ...publishingDeps(context),
    crawler: { pageSize: env.CRAWLER_PAGE_SIZE, idleMs: env.CRAWLER_IDLE_MS },
  });
  health.addCheck('crawler', () => service.crawler.health());
  const finished = service.crawler.start();
  logger.info({ stream: env.RAW_STREAM_NAME, pageSize: env.CRAWLER_PAGE_SIZE }, 'crawler started');
  return { close: () => service.close(), finished };
};

/**
 * The crawler as a fleet member (CRAWLER_SOURCE=sync): connection syncs from the sync queue, each
 * connection from its durable cursor; any number of these share the queue.
 */
const startSync: StartRole<'crawler'> = async (context) => {
  const { env, logger, health } = context;
  const redis = createRedisConnection({ url: env.REDIS_URL, authToken: env.REDIS_AUTH_TOKEN, connectionName: 'crawler' });
  const service = createSyncCrawler({
    ...publishingDeps(context),
    rawHistoryStreamName: env.RAW_HISTORY_STREAM_NAME,
    redis,
    syncQueueName: env.SYNC_QUEUE_NAME,
    queuePrefix: env.QUEUE_PREFIX,
    concurrency: env.CRAWLER_SYNC_CONCURRENCY,
    lockDurationMs: env.CRAWLER_SYNC_LOCK_MS,
    syncer: { pageSize: env.CRAWLER_PAGE_SIZE },
  });
  const metrics = new MetricsEmitter({ enabled: env.METRICS_ENABLED, namespace: env.METRICS_NAMESPACE, dimensions: { [METRIC_STACK_DIMENSION]: env.INSIGHTS_STACK }, logger });
  // The crawler service scales on it: syncs waiting or running, whichever crawler reads it.
  const backlog = new PeriodicMetric({ metrics, name: PIPELINE_METRICS.syncBacklog, measure: () => service.worker.backlog() });
  backlog.start();
  health.addCheck('crawler', () => service.worker.stats());
  const finished = service.worker.start();
  logger.info({ queue: env.SYNC_QUEUE_NAME, concurrency: env.CRAWLER_SYNC_CONCURRENCY }, 'crawler started (sync queue)');
  return {
    close: async () => {
      await backlog.close().catch(() => undefined);
      await service.close();
      await redis.quit().catch(() => undefined);
    },
    finished,
  };
};
