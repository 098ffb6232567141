import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable } from '../../local/env/provision.js';
import type { ScoredResult } from '../../shared/schemas/scored-result.js';
import { WORKER_VARIABLES } from '../../shared/worker-env.js';
import { ViewWriter } from '../../workers/projector/view-writer.js';
import { chunks } from '../fixtures.js';
import { rate, timed } from '../rate.js';
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
    return { rate: rate(written, ms), wruPerRecord: Math.round(((writer.stats.consumedWru - before) / Math.max(1, options.results.length)) * 100) / 100 };
  } finally {
    await dynamodb.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
  }
}
