import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ConnectionOptions } from 'bullmq';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { KinesisProducer } from '../../shared/kinesis/index.js';
import type { KinesisProducerOptions } from '../../shared/kinesis/index.js';
import type { Logger } from '../../shared/logger.js';
import { Lane } from '../../shared/schemas/transaction-change.js';
import type { LaneName } from '../../shared/schemas/transaction-change.js';
import { silentLogger } from '../../shared/logger.js';
import { RejectStore } from '../../shared/rejects/reject-store.js';
import { BrokerClient } from './broker-client.js';
import { Crawler } from './crawler.js';
import type { CrawlerOptions } from './crawler.js';
import { CursorStore } from './cursor-store.js';
import { IngestLedger } from './ingest-ledger.js';
import { PageProcessor } from './page-processor.js';
import { ConnectionCursors } from './connection-cursors.js';
import { ConnectionSyncer } from './connection-syncer.js';
import type { ConnectionSyncerOptions } from './connection-syncer.js';
import { SyncClient } from './sync-client.js';
import { SyncWorker } from './sync-worker.js';

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
  // A feed page of 500 holds a few records of each user-month (key), and one record per key per
  // call put it in about 12 calls in a row (0.025 calls per record in the bench's backlog). The
  // feed never puts two versions of one transaction (the ledger rejects a changed one), so a key's
  // order carries nothing downstream.
  const producer = new KinesisProducer({ kinesis: wiring.kinesis, streamName: wiring.rawStreamName, logger, preserveKeyOrder: false, ...wiring.producer });
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

export interface SyncCrawlerWiring extends Omit<CrawlerWiring, 'cursorName' | 'crawler'> {
  /** RAW_HISTORY_STREAM_NAME: where history jobs put their records (`rawStreamName` takes the live ones). */
  readonly rawHistoryStreamName: string;
  /** BullMQ's Redis connection (the worker's own; the service closes it). */
  readonly redis: ConnectionOptions;
  readonly syncQueueName: string;
  readonly queuePrefix: string;
  /** Connections synced at once. @default 4 */
  readonly concurrency?: number;
  /** Sync tuning (page size, page budget per job, back-off). */
  readonly syncer?: Omit<ConnectionSyncerOptions, 'source' | 'ledger' | 'publishers' | 'rejects' | 'cursors' | 'logger'>;
  /** @default 30_000 ms, see `SyncWorkerOptions.lockDurationMs` */
  readonly lockDurationMs?: number;
}

/** A wired fleet crawler; `close()` stops taking jobs, lets running ones end their page, then flushes both lanes' producers. */
export interface SyncCrawlerService {
  readonly worker: SyncWorker;
  /** The producer on each lane's raw stream. */
  readonly producers: Readonly<Record<LaneName, KinesisProducer>>;
  close(): Promise<void>;
}

/** Builds the fleet crawler (CRAWLER_SOURCE=sync): sync jobs from the queue, each connection from its durable cursor. */
export function createSyncCrawler(wiring: SyncCrawlerWiring): SyncCrawlerService {
  const logger = wiring.logger ?? silentLogger();
  // A page of a sync carries about 24 keys (a history's user-months), so one record per key per
  // call put a 2,400-transaction history in about 100 calls of 24 records or fewer each (measured: 0.16
  // PutRecords per transaction in the sign-up phase against 0.011 for the line feed). Nothing
  // downstream needs a key's order: every record carries its revision, and the view shows the highest.
  const producerOn = (streamName: string) => new KinesisProducer({ kinesis: wiring.kinesis, streamName, logger, preserveKeyOrder: false, ...wiring.producer });
  const producers = { [Lane.Live]: producerOn(wiring.rawStreamName), [Lane.History]: producerOn(wiring.rawHistoryStreamName) } as const;
  const syncer = new ConnectionSyncer({
    ...wiring.syncer,
    source: new SyncClient({ baseUrl: wiring.brokerUrl, apiKey: wiring.brokerApiKey, ...(wiring.fetch === undefined ? {} : { fetch: wiring.fetch }) }),
    ledger: new IngestLedger({ dynamodb: wiring.dynamodb, tableName: wiring.ingestLedgerTableName, ...(wiring.ledgerConcurrency === undefined ? {} : { concurrency: wiring.ledgerConcurrency }) }),
    publishers: producers,
    rejects: new RejectStore({ dynamodb: wiring.dynamodb, tableName: wiring.rejectsTableName }),
    cursors: new ConnectionCursors({ dynamodb: wiring.dynamodb, tableName: wiring.crawlerStateTableName }),
    logger: logger.child({ component: 'connection-syncer' }),
    ...(wiring.clock === undefined ? {} : { clock: wiring.clock }),
  });
  const worker = new SyncWorker({
    connection: wiring.redis,
    queueName: wiring.syncQueueName,
    prefix: wiring.queuePrefix,
    syncer,
    logger: logger.child({ component: 'sync-worker' }),
    ...(wiring.concurrency === undefined ? {} : { concurrency: wiring.concurrency }),
    ...(wiring.lockDurationMs === undefined ? {} : { lockDurationMs: wiring.lockDurationMs }),
  });
  let closing: Promise<void> | undefined;
  return {
    worker,
    producers,
    close() {
      closing ??= worker
        .close()
        .catch(() => undefined)
        .then(() => Promise.all([producers.live.close(), producers.history.close()]))
        .then(() => undefined);
      return closing;
    },
  };
}
