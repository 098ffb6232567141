import { BatchGetItemCommand, BatchWriteItemCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue, BatchGetItemCommandOutput, BatchWriteItemCommandOutput, DynamoDBClient, KeysAndAttributes, WriteRequest } from '@aws-sdk/client-dynamodb';
import { backoffDelay, sleep } from '../../shared/backoff.js';
import { chunk, mapLimit } from '../lib/concurrency.js';
import { LedgerError } from './errors.js';
import type { PageStamp } from './watermark.js';

/** BatchGetItem takes at most 100 keys, BatchWriteItem 25 requests (API limits). */
const BATCH_GET_MAX = 100;
const BATCH_WRITE_MAX = 25;
/** Unprocessed keys or items are asked again this many times (with back-off) before the call fails. */
const UNPROCESSED_ATTEMPTS = 8;

/** What the ledger knows about one transactionId. */
export interface LedgerEntry {
  readonly transactionId: string;
  /** The first version's content hash: another hash for this id is a conflict. */
  readonly contentHash: string;
  /** The first version's raw-stream record, so it can be put again whatever the broker sends later. */
  readonly record: string | undefined;
  /** The page that claimed it; whether that page is committed says whether the record is on the stream (see `Watermark`). */
  readonly stamp: PageStamp;
}

export interface LedgerClaim {
  readonly transactionId: string;
  readonly contentHash: string;
  /** The RawRecord JSON about to be put. */
  readonly record: string;
  readonly stamp: PageStamp;
}

export interface IngestLedgerOptions {
  readonly dynamodb: DynamoDBClient;
  /** The ingestLedger table (INGEST_LEDGER_TABLE_NAME); key `transactionId`, TTL `expiresAt`. */
  readonly tableName: string;
  /** How long a transactionId is remembered; a copy arriving later is accepted again. @default 35 days */
  readonly retentionDays?: number;
  /** DynamoDB batch calls at once. @default 8 */
  readonly concurrency?: number;
}

function fromItem(item: Record<string, AttributeValue>): LedgerEntry {
  return {
    transactionId: item['transactionId']?.S ?? '',
    contentHash: item['contentHash']?.S ?? '',
    record: item['record']?.S,
    stamp: { crawl: item['crawl']?.S ?? '', epoch: Number(item['epoch']?.N ?? -1), seq: Number(item['seq']?.N ?? Number.MAX_SAFE_INTEGER) },
  };
}

/**
 * The ingest ledger: one item per accepted transactionId with its content hash, its first
 * record and the page that claimed it, so a redelivery changes nothing and a conflicting version
 * is refused (the first stands). Written ahead of the stream put (see `PageProcessor`).
 */
export class IngestLedger {
  private readonly dynamodb: DynamoDBClient;
  private readonly tableName: string;
  private readonly retentionSeconds: number;
  private readonly concurrency: number;

  public constructor(options: IngestLedgerOptions) {
    this.dynamodb = options.dynamodb;
    this.tableName = options.tableName;
    this.retentionSeconds = Math.round((options.retentionDays ?? 35) * 86_400);
    this.concurrency = options.concurrency ?? 8;
  }

  /** What the ledger holds for these ids (strongly consistent); absent ids are not in the map. */
  public async get(transactionIds: readonly string[]): Promise<Map<string, LedgerEntry>> {
    const found = new Map<string, LedgerEntry>();
    const chunks = chunk([...new Set(transactionIds)], BATCH_GET_MAX);
    try {
      await mapLimit(chunks, this.concurrency, async (ids) => {
        let request: Record<string, KeysAndAttributes> | undefined = {
          [this.tableName]: { Keys: ids.map((id) => ({ transactionId: { S: id } })), ConsistentRead: true },
        };
        for (let attempt = 1; request !== undefined && Object.keys(request).length > 0; attempt += 1) {
          if (attempt > UNPROCESSED_ATTEMPTS) throw new Error(`keys still unprocessed after ${UNPROCESSED_ATTEMPTS} attempts`);
          if (attempt > 1) await sleep(backoffDelay(attempt - 1, { baseMs: 50, maxMs: 2_000 }));
          const answer: BatchGetItemCommandOutput = await this.dynamodb.send(new BatchGetItemCommand({ RequestItems: request }));
          for (const item of answer.Responses?.[this.tableName] ?? []) {
            const entry = fromItem(item);
            found.set(entry.transactionId, entry);
          }
          request = answer.UnprocessedKeys;
        }
      });
    } catch (error) {
      throw new LedgerError('batch read', { cause: error });
    }
    return found;
  }

  /**
   * Records each id with its hash, record and page stamp, before it is put on the stream. Batch
   * writes (25 items a call) rather than conditional puts: the caller has just read these ids
   * (strongly consistent) and found them absent or unfinished, and one crawler writes a crawl's
   * ledger entries (a second one is fenced off by the cursor store). Conditional single puts
   * measured about a tenth of this throughput on DynamoDB Local, where each is its own round trip.
   */
  public async claim(claims: readonly LedgerClaim[], now: Date = new Date()): Promise<void> {
    const expiresAt = String(Math.floor(now.getTime() / 1000) + this.retentionSeconds);
    // One request per key: BatchWriteItem refuses a call that names the same key twice.
    const unique = [...new Map(claims.map((c) => [c.transactionId, c])).values()];
    const requests: WriteRequest[] = unique.map((claim) => ({
      PutRequest: {
        Item: {
          transactionId: { S: claim.transactionId },
          contentHash: { S: claim.contentHash },
          record: { S: claim.record },
          crawl: { S: claim.stamp.crawl },
          epoch: { N: String(claim.stamp.epoch) },
          seq: { N: String(claim.stamp.seq) },
          claimedAt: { S: now.toISOString() },
          expiresAt: { N: expiresAt },
        },
      },
    }));
    try {
      await mapLimit(chunk(requests, BATCH_WRITE_MAX), this.concurrency, async (batch) => {
        let pending: WriteRequest[] | undefined = batch;
        for (let attempt = 1; pending !== undefined && pending.length > 0; attempt += 1) {
          if (attempt > UNPROCESSED_ATTEMPTS) throw new Error(`items still unprocessed after ${UNPROCESSED_ATTEMPTS} attempts`);
          if (attempt > 1) await sleep(backoffDelay(attempt - 1, { baseMs: 50, maxMs: 2_000 }));
          const answer: BatchWriteItemCommandOutput = await this.dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [this.tableName]: pending } }));
          pending = answer.UnprocessedItems?.[this.tableName];
        }
      });
    } catch (error) {
      throw new LedgerError('claim', { cause: error });
    }
  }
}
