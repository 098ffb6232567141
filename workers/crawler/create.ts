import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { KinesisProducer } from '../../shared/kinesis/index.js';
import type { KinesisProducerOptions } from '../../shared/kinesis/index.js';
import type { Logger } from '../../shared/logger.js';
import { silentLogger } from '../../shared/logger.js';
import { RejectStore } from '../../shared/rejects/reject-store.js';
import { BrokerClient } from './broker-client.js';
import { Crawler } from './crawler.js';
import type { CrawlerOptions } from './crawler.js';
import { CursorStore } from './cursor-store.js';
import { IngestLedger } from './ingest-ledger.js';
import { PageProcessor } from './page-processor.js';

export interface CrawlerWiring {
  readonly kinesis: KinesisClient;
  readonly dynamodb: DynamoDBClient;
  readonly brokerUrl: string;
  readonly brokerApiKey: string;
  readonly rawStreamName: string;
  readonly ingestLedgerTableName: string;
  readonly crawlerStateTableName: string;
  readonly rejectsTableName: string;
  /** @default a silent logger */
  readonly logger?: Logger;
  /** Key of the cursor item. @default the broker endpoint URL, so a different broker starts from its own beginning */
  readonly cursorName?: string;
  /** Crawl loop tuning (page size, idle wait, back-off). */
  readonly crawler?: Omit<CrawlerOptions, 'broker' | 'processor' | 'cursors' | 'logger'>;
  /** Producer tuning. */
  readonly producer?: Omit<KinesisProducerOptions, 'kinesis' | 'streamName' | 'logger'>;
  /** DynamoDB batch calls at once for the ledger. @default 8 */
  readonly ledgerConcurrency?: number;
  /** Passed to the broker client (tests inject failures here). */
  readonly fetch?: typeof fetch;
  /** The receiving clock; injectable for tests. */
  readonly clock?: () => Date;
}

/** A wired crawler and the producer it owns; `close()` stops the crawl, then flushes the producer. */
export interface CrawlerService {
  readonly crawler: Crawler;
  readonly producer: KinesisProducer;
  close(): Promise<void>;
}

/**
 * Builds the crawler from injected clients and names: what the worker's `start` does with its
 * environment, and what tests do against the emulators.
 */
export function createCrawler(wiring: CrawlerWiring): CrawlerService {
  const logger = wiring.logger ?? silentLogger();
  const broker = new BrokerClient({ baseUrl: wiring.brokerUrl, apiKey: wiring.brokerApiKey, ...(wiring.fetch === undefined ? {} : { fetch: wiring.fetch }) });
  const producer = new KinesisProducer({ kinesis: wiring.kinesis, streamName: wiring.rawStreamName, logger, ...wiring.producer });
  const processor = new PageProcessor({
    ledger: new IngestLedger({ dynamodb: wiring.dynamodb, tableName: wiring.ingestLedgerTableName, ...(wiring.ledgerConcurrency === undefined ? {} : { concurrency: wiring.ledgerConcurrency }) }),
    publisher: producer,
    rejects: new RejectStore({ dynamodb: wiring.dynamodb, tableName: wiring.rejectsTableName }),
    logger,
    ...(wiring.clock === undefined ? {} : { clock: wiring.clock }),
  });
  const cursors = new CursorStore({ dynamodb: wiring.dynamodb, tableName: wiring.crawlerStateTableName, name: wiring.cursorName ?? broker.endpointUrl });
  const crawler = new Crawler({ ...wiring.crawler, broker, processor, cursors, logger: logger.child({ component: 'crawler' }) });
  let closing: Promise<void> | undefined;
  return {
    crawler,
    producer,
    close() {
      // Each step runs even when the one before failed: a failed crawl must still flush what it put.
      closing ??= crawler
        .close()
        .catch(() => undefined)
        .then(() => producer.close());
      return closing;
    },
  };
}
