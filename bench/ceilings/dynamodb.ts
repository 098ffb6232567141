import { BatchWriteItemCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue, DynamoDBClient, WriteRequest } from '@aws-sdk/client-dynamodb';
import { ensureTable } from '../../local/env/provision.js';
import type { ScoredResult } from '../../shared/schemas/scored-result.js';
import { WORKER_VARIABLES } from '../../shared/worker-env.js';
import { localMonth } from '../../shared/view/months.js';
import { queryMonth } from '../../shared/view/month-query.js';
import { toItem, versionOf } from '../../shared/view/version.js';
import { MAX_BATCH_WRITE_ITEMS, ViewWriter } from '../../workers/projector/view-writer.js';
import { mapLimit } from '../../workers/lib/concurrency.js';
import { chunks } from '../fixtures.js';
import { rate, timed } from '../rate.js';
import { cpuSeconds } from '../pipeline/process-stats.js';
import type { Rate } from '../rate.js';

export interface ViewWriteCeilingOptions {
  readonly dynamodb: DynamoDBClient;
  /** A name for a view table of its own, created here and deleted after. */
  readonly tableName: string;
  readonly results: readonly ScoredResult[];
  /** Results written before timing starts: DynamoDB Local's JVM compiles its hot paths first. */
  readonly warmUp: readonly ScoredResult[];
}

/** Records per write: what one GetRecords call hands the projector (GET_RECORDS_LIMIT's default). */
export const PROJECTOR_BATCH = Number(WORKER_VARIABLES.GET_RECORDS_LIMIT.default);

/** What writing the view cost: records per second, and the write capacity DynamoDB reported per record. */
export interface ViewWriteCeiling {
  readonly rate: Rate;
  /** Consumed WRU (as `ReturnConsumedCapacity` reports it) per record written. */
  readonly wruPerRecord: number;
  /** Consumed RRU of reading back each written user-month as the read model does (one eventually consistent Query a page), per transaction read. */
  readonly rruPerRecordRead: number;
  /** The same per user-month page read. */
  readonly rruPerMonthRead: number;
}

/**
 * DynamoDB writes per second the way the projector writes: the projector's own `ViewWriter` with
 * its defaults (one item per version, plain `BatchWriteItem`), fed batches of the size one
 * GetRecords call gives it, one batch after another as one shard's lease does.
 */
export async function viewWriteCeiling(options: ViewWriteCeilingOptions): Promise<ViewWriteCeiling> {
  const { dynamodb, tableName } = options;
  await ensureTable(dynamodb, tableName, 'view');
  try {
    const writer = new ViewWriter({ dynamodb, tableName });
    for (const batch of chunks(options.warmUp, PROJECTOR_BATCH)) await writer.write(batch);
    const before = writer.stats.consumedWru;
    const { value: written, ms } = await timed(async () => {
      let count = 0;
      for (const batch of chunks(options.results, PROJECTOR_BATCH)) count += (await writer.write(batch)).written;
      return count;
    });
    // Read cost, measured the same way: every user-month written, read back as the read model reads it.
    let rru = 0;
    let read = 0;
    const months = [...new Set(options.results.map((r) => `${r.userId}\u0000${localMonth(r.bookedAt)}`))];
    for (const key of months) {
      const [userId, month] = key.split('\u0000') as [string, string];
      read += (await queryMonth({ dynamodb, tableName, onConsumedCapacity: (units) => (rru += units) }, userId, month)).length;
    }
    return {
      rate: rate(written, ms),
      wruPerRecord: Math.round(((writer.stats.consumedWru - before) / Math.max(1, options.results.length)) * 100) / 100,
      rruPerRecordRead: Math.round((rru / Math.max(1, read)) * 10_000) / 10_000,
      rruPerMonthRead: Math.round((rru / Math.max(1, months.length)) * 100) / 100,
    };
  } finally {
    await dynamodb.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
  }
}

/** `BatchWriteItem` requests in flight for the store's ceiling: enough to keep DynamoDB Local's threads busy. */
export const STORE_REQUESTS_IN_FLIGHT = 8;

/** What the store itself takes: items per second and their average size. */
export interface StoreWriteCeiling {
  readonly rate: Rate;
  /** Average item size as DynamoDB counts it (attribute names and values), bytes. */
  readonly itemBytes: number;
  /** CPU µs the store's process spent per item written at its ceiling (absent without its pid, or without /proc). */
  readonly storeCpuMicrosPerItem?: number;
}

/** Bytes of an item as DynamoDB sizes it, close enough: names plus the values' UTF-8 or number text. */
function itemBytes(item: Record<string, AttributeValue>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) {
    bytes += Buffer.byteLength(name);
    if (value.S !== undefined) bytes += Buffer.byteLength(value.S);
    else if (value.N !== undefined) bytes += Math.ceil(value.N.length / 2) + 1;
    else if (value.BOOL !== undefined) bytes += 1;
    else bytes += Buffer.byteLength(JSON.stringify(value));
  }
  return bytes;
}

/**
 * The store's own ceiling (issue 12, item 2): DynamoDB Local taking plain `BatchWriteItem`
 * requests of 25 view items each, the items built beforehand (so no project code and no
 * marshalling of results is timed), `STORE_REQUESTS_IN_FLIGHT` requests at once. The end-to-end
 * rate is judged against this, since the view's writes are plain batches too.
 */
export async function storeWriteCeiling(options: ViewWriteCeilingOptions & { readonly storePid?: number }): Promise<StoreWriteCeiling> {
  const { dynamodb, tableName } = options;
  await ensureTable(dynamodb, tableName, 'view');
  const viewedAt = new Date().toISOString();
  const requests = (results: readonly ScoredResult[]): WriteRequest[][] =>
    chunks(
      results.map((r) => ({ PutRequest: { Item: toItem(versionOf(r, viewedAt)) } })),
      MAX_BATCH_WRITE_ITEMS,
    );
  const send = async (batch: WriteRequest[]): Promise<number> => {
    let pending = batch;
    while (pending.length > 0) {
      const out = await dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
      pending = out.UnprocessedItems?.[tableName] ?? [];
    }
    return batch.length;
  };
  try {
    const warm = requests(options.warmUp);
    const timedBatches = requests(options.results);
    const sizes = timedBatches.flat().map((w) => itemBytes(w.PutRequest!.Item!));
    await mapLimit(warm, STORE_REQUESTS_IN_FLIGHT, send);
    const cpuBefore = cpuSeconds(options.storePid);
    const { value: written, ms } = await timed(async () => (await mapLimit(timedBatches, STORE_REQUESTS_IN_FLIGHT, send)).reduce((a, b) => a + b, 0));
    const cpuAfter = cpuSeconds(options.storePid);
    const storeCpu = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
    return {
      rate: rate(written, ms),
      itemBytes: Math.round(sizes.reduce((a, b) => a + b, 0) / Math.max(1, sizes.length)),
      ...(storeCpu === undefined ? {} : { storeCpuMicrosPerItem: Math.round((storeCpu * 1e6) / Math.max(1, written)) }),
    };
  } finally {
    await dynamodb.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
  }
}
