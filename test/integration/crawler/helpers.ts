import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from '@aws-sdk/client-kinesis';
import type { GetRecordsCommandOutput, KinesisClient } from '@aws-sdk/client-kinesis';
import type { AwsClients } from '../../../shared/aws/clients.js';
import type { RejectRecord } from '../../../shared/rejects/reject-record.js';
import { rawRecordSchema } from '../../../shared/schemas/raw-record.js';
import type { RawRecord } from '../../../shared/schemas/raw-record.js';
import { RejectStore } from '../../../shared/rejects/reject-store.js';
import { createCrawler } from '../../../workers/crawler/create.js';
import type { CrawlerService, CrawlerWiring } from '../../../workers/crawler/create.js';
import { testStack } from '../../helpers/local-env.js';

/** Crawler timings for tests: quick retries and idle polls, so faults cost milliseconds. */
export const FAST_CRAWLER = { idleMs: 50, backoffBaseMs: 10, backoffMaxMs: 100 } as const;

/**
 * One test's own stack (a raw stream of two shards, so reading all of them matters, and the
 * crawler's tables), with the crawler's code acting as the crawler role and the test's reads back
 * as the operator.
 */
export interface CrawlerFixture {
  /** The clients a worker's `start` receives: the crawler role's. */
  readonly aws: AwsClients;
  readonly kinesis: KinesisClient;
  readonly dynamodb: DynamoDBClient;
  readonly names: { readonly raw: string; readonly rawHistory: string; readonly ledger: string; readonly state: string; readonly rejects: string };
  /** The reject store as the crawler writes it. */
  readonly rejectStore: RejectStore;
  /** Every reject stored, read by the operator (the crawler may only put them). */
  rejects(): Promise<RejectRecord[]>;
  /** A crawler wired to this fixture's resources and the given broker. */
  crawler(broker: { url: string; apiKey: string }, overrides?: Partial<CrawlerWiring>): CrawlerService;
  /** Every record on the given raw streams (@default both lanes'), all shards, oldest first per shard. */
  readStream(streams?: readonly string[]): Promise<RawRecord[]>;
  /** The cursor saved in the crawlerState table, or null. */
  savedCursor(): Promise<string | null>;
  cleanup(): Promise<void>;
}

export async function crawlerFixture(): Promise<CrawlerFixture> {
  const own = await testStack({ shards: { raw: 2, rawHistory: 2 } });
  const clients = own.as('crawler');
  const operator = own.operator;
  const names = { raw: own.names.streams.raw, rawHistory: own.names.streams.rawHistory, ledger: own.names.tables.ingestLedger, state: own.names.tables.crawlerState, rejects: own.names.tables.rejects };
  const services: CrawlerService[] = [];
  return {
    aws: clients,
    kinesis: clients.kinesis,
    dynamodb: clients.dynamodb,
    names,
    rejectStore: new RejectStore({ dynamodb: clients.dynamodb, tableName: names.rejects }),
    rejects: () => new RejectStore({ dynamodb: operator.dynamodb, tableName: names.rejects }).list(),
    crawler(broker, overrides = {}) {
      const service = createCrawler({
        kinesis: clients.kinesis,
        dynamodb: clients.dynamodb,
        brokerUrl: broker.url,
        brokerApiKey: broker.apiKey,
        rawStreamName: names.raw,
        ingestLedgerTableName: names.ledger,
        crawlerStateTableName: names.state,
        rejectsTableName: names.rejects,
        cursorName: 'test-broker',
        ...overrides,
        crawler: { ...FAST_CRAWLER, ...overrides.crawler },
      });
      services.push(service);
      return service;
    },
    async readStream(streams = [names.raw, names.rawHistory]) {
      const shards = (
        await Promise.all(streams.map(async (StreamName) => ((await operator.kinesis.send(new ListShardsCommand({ StreamName }))).Shards ?? []).map((shard) => ({ StreamName, shard }))))
      ).flat();
      const perShard = await Promise.all(
        shards.map(async ({ StreamName, shard }) => {
          const out: RawRecord[] = [];
          let iterator = (await operator.kinesis.send(new GetShardIteratorCommand({ StreamName, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
          while (iterator !== undefined) {
            const page: GetRecordsCommandOutput = await operator.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
            for (const record of page.Records ?? []) out.push(rawRecordSchema.parse(JSON.parse(Buffer.from(record.Data ?? []).toString('utf8'))));
            // An empty page at the tip means everything written so far has been read.
            if ((page.Records ?? []).length === 0 && page.MillisBehindLatest === 0) break;
            iterator = page.NextShardIterator;
          }
          return out;
        }),
      );
      return perShard.flat();
    },
    async savedCursor() {
      const { Item } = await operator.dynamodb.send(new GetItemCommand({ TableName: names.state, Key: { name: { S: 'test-broker' } }, ConsistentRead: true }));
      return Item?.['cursor']?.S ?? null;
    },
    async cleanup() {
      await Promise.allSettled(services.map((s) => s.close()));
      await own.cleanup();
    },
  };
}

/** Polls `check` until true; rejects naming `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 40_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** How many times each value occurs. */
export function tally(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}
