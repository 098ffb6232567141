import type { StartRole } from '../runtime/worker-runtime.js';
import { createCrawler } from './create.js';

/**
 * The crawler role: broker pages onto the raw stream, broken lines into the reject store. Thin
 * wiring; the logic is in `Crawler` (cursor, retries), `PageProcessor` (validation, ledger,
 * publication) and `BrokerClient` (the HTTP API).
 */
export const start: StartRole<'crawler'> = async ({ env, logger, aws, health }) => {
  const service = createCrawler({
    kinesis: aws.kinesis,
    dynamodb: aws.dynamodb,
    brokerUrl: env.BROKER_URL,
    brokerApiKey: env.BROKER_API_KEY,
    rawStreamName: env.RAW_STREAM_NAME,
    ingestLedgerTableName: env.INGEST_LEDGER_TABLE_NAME,
    crawlerStateTableName: env.CRAWLER_STATE_TABLE_NAME,
    rejectsTableName: env.REJECTS_TABLE_NAME,
    logger,
    crawler: { pageSize: env.CRAWLER_PAGE_SIZE, idleMs: env.CRAWLER_IDLE_MS },
  });
  health.addCheck('crawler', () => service.crawler.health());
  const finished = service.crawler.start();
  logger.info({ stream: env.RAW_STREAM_NAME, pageSize: env.CRAWLER_PAGE_SIZE }, 'crawler started');
  return { close: () => service.close(), finished };
};
