import { BatchGetItemCommand, BatchWriteItemCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue, BatchGetItemCommandOutput, BatchWriteItemCommandOutput, DynamoDBClient, KeysAndAttributes, WriteRequest } from '@aws-sdk/client-dynamodb';
import { backoffDelay, sleep } from '../../shared/kinesis/backoff.js';
import { chunk, mapLimit } from './concurrency.js';
import { LedgerError } from './errors.js';

/** BatchGetItem takes at most 100 keys, BatchWriteItem 25 requests (API limits). */
const BATCH_GET_MAX = 100;
const BATCH_WRITE_MAX = 25;
/** Unprocessed keys or items are asked again this many times (with back-off) before the call fails. */
const UNPROCESSED_ATTEMPTS = 8;

export const LedgerStatus = {
  /** Claimed and maybe not on the stream yet: whoever sees it again puts it again. */
  Pending: 'pending',
  /** On the stream: seen again with the same content, it changes nothing. */
  Published: 'published',
} as const;

export type LedgerStatusValue = (typeof LedgerStatus)[keyof typeof LedgerStatus];

/** What the ledger knows about one transactionId. */
export interface LedgerEntry {
  readonly transactionId: string;
  readonly contentHash: string;
  readonly status: LedgerStatusValue;
  /** Pending entries carry the raw-stream record, so the first version can be put again whatever the broker sends later. */
  readonly record: string | undefined;
}

export interface LedgerClaim {
  readonly transactionId: string;
  readonly contentHash: string;
  /** The RawRecord JSON about to be put. */
  readonly record: string;
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
    status: item['ledgerStatus']?.S === LedgerStatus.Published ? LedgerStatus.Published : LedgerStatus.Pending,
    record: item['record']?.S,
  };
}

/**
 * The ingest ledger: one item per accepted transactionId with its content hash, so a redelivery
 * changes nothing and a conflicting version is refused (the first stands).
 *
 * Write-ahead protocol (see `PageProcessor`): a new id is recorded `pending`, with its record,
 * before it is put on the stream, and marked `published` after. A crash between
 * the two leaves `pending`, and whoever sees the id again puts the stored record again: a
 * duplicate downstream at worst (the sinks are idempotent), never a loss.
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
   * Records ids `pending`, each with its record, before they are put on the stream. Batch writes
   * (25 items a call) rather than conditional puts: the caller has just read these ids (strongly
   * consistent) and found them absent, and one crawler writes the ledger, so a condition would only
   * guard against a second crawler racing on the same id, at the price measured here of about a
   * tenth of the throughput on DynamoDB Local (every single-item write is its own round trip).
   */
  public async claim(claims: readonly LedgerClaim[], now: Date = new Date()): Promise<void> {
    const expiresAt = String(Math.floor(now.getTime() / 1000) + this.retentionSeconds);
    await this.batchWrite(
      'claim',
      claims.map((claim) => ({
        transactionId: { S: claim.transactionId },
        contentHash: { S: claim.contentHash },
        ledgerStatus: { S: LedgerStatus.Pending },
        record: { S: claim.record },
        firstSeenAt: { S: now.toISOString() },
        expiresAt: { N: expiresAt },
      })),
    );
  }

  /**
   * Marks ids `published`, dropping the stored record. Overwriting is safe: only ids whose ledger
   * hash matched (or that were just claimed) are passed here, so the hash never changes.
   */
  public async markPublished(entries: readonly { readonly transactionId: string; readonly contentHash: string }[], now: Date = new Date()): Promise<void> {
    const expiresAt = String(Math.floor(now.getTime() / 1000) + this.retentionSeconds);
    await this.batchWrite(
      'mark published',
      entries.map((entry) => ({
        transactionId: { S: entry.transactionId },
        contentHash: { S: entry.contentHash },
        ledgerStatus: { S: LedgerStatus.Published },
        publishedAt: { S: now.toISOString() },
        expiresAt: { N: expiresAt },
      })),
    );
  }

  /** BatchWriteItem in chunks of 25, several at once, asking again for unprocessed items with back-off. */
  private async batchWrite(operation: string, items: readonly Record<string, AttributeValue>[]): Promise<void> {
    // One request per key: BatchWriteItem refuses a call that names the same key twice.
    const unique = [...new Map(items.map((item) => [item['transactionId']?.S, item])).values()];
    const requests: WriteRequest[] = unique.map((Item) => ({ PutRequest: { Item } }));
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
      throw new LedgerError(operation, { cause: error });
    }
  }
}
