import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { KinesisClient, PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { MAX_RECORDS_PER_GET, MAX_RECORDS_PER_PUT } from '../../shared/kinesis/constants.js';
import type { RawRecord } from '../../shared/schemas/raw-record.js';
import { chunks } from '../fixtures.js';
import { mapLimit } from '../../workers/lib/concurrency.js';
import { rate, timed } from '../rate.js';
import type { Rate } from '../rate.js';

const THROTTLED: ReadonlySet<string> = new Set(['ProvisionedThroughputExceededException', 'LimitExceededException']);
/** A fifth of a second: one read's share of a shard's five a second. */
const THROTTLE_WAIT_MS = 200;
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface KinesisCeilingOptions {
  readonly kinesis: KinesisClient;
  /** An empty stream of its own. */
  readonly streamName: string;
  readonly records: readonly RawRecord[];
  /** PutRecords calls at once, as the producer's default. @default 4 */
  readonly callsInFlight?: number;
}

export interface KinesisCeilings {
  readonly putRecords: Rate;
  readonly getRecords: Rate;
}

/**
 * The emulator's raw Kinesis rates, without the project's producer or consumer in the way:
 * PutRecords calls of 500 raw records (the API's maximum, as the producer packs them) with a few
 * in flight, then every shard read back from TRIM_HORIZON with GetRecords at once.
 */
export async function kinesisCeilings(options: KinesisCeilingOptions): Promise<KinesisCeilings> {
  const { kinesis, streamName } = options;
  const entries: PutRecordsRequestEntry[] = options.records.map((r) => ({ Data: Buffer.from(JSON.stringify(r), 'utf8'), PartitionKey: r.transaction.userId }));
  const put = await timed(() =>
    mapLimit(chunks(entries, MAX_RECORDS_PER_PUT), options.callsInFlight ?? 4, async (batch) => {
      let pending = batch;
      // Only the entries that failed go again, as the producer does; the emulator rarely fails any.
      while (pending.length > 0) {
        const out = await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: pending }));
        const failed = pending.filter((_, i) => out.Records?.[i]?.ErrorCode !== undefined);
        // The fronts hold a shard to 1,000 records/s and 1 MiB/s written, as AWS does: wait for the budget to refill.
        if (failed.length > 0) await pause(THROTTLE_WAIT_MS);
        pending = failed;
      }
    }),
  );

  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? [];
  const get = await timed(async () => {
    const counts = await Promise.all(
      shards.map(async (shard) => {
        let read = 0;
        let iterator = (await kinesis.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
        while (iterator !== undefined) {
          let page;
          try {
            page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: MAX_RECORDS_PER_GET }));
          } catch (error) {
            // Five reads a second and 2 MiB/s per shard, enforced by the fronts as AWS does.
            if (!THROTTLED.has((error as { name?: string }).name ?? '')) throw error;
            await pause(THROTTLE_WAIT_MS);
            continue;
          }
          read += page.Records?.length ?? 0;
          if ((page.MillisBehindLatest ?? 0) === 0 && (page.Records?.length ?? 0) === 0) break;
          iterator = page.NextShardIterator;
        }
        return read;
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  });
  return { putRecords: rate(entries.length, put.ms), getRecords: rate(get.value, get.ms) };
}
