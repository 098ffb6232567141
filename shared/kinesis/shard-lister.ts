import { ListShardsCommand } from '@aws-sdk/client-kinesis';
import type { KinesisClient, Shard } from '@aws-sdk/client-kinesis';
import { isThrottling } from './aws-errors.js';
import { backoffDelay, sleep } from '../backoff.js';

/** Every shard of a stream, following ListShards' pages; throttling is retried with back-off. */
export async function listAllShards(kinesis: KinesisClient, streamName: string, signal?: AbortSignal): Promise<Shard[]> {
  const shards: Shard[] = [];
  let nextToken: string | undefined;
  let attempt = 0;
  do {
    try {
      // StreamName and NextToken exclude each other (API rule).
      const page = await kinesis.send(
        new ListShardsCommand(nextToken === undefined ? { StreamName: streamName } : { NextToken: nextToken }),
        signal === undefined ? {} : { abortSignal: signal },
      );
      shards.push(...(page.Shards ?? []));
      nextToken = page.NextToken;
      attempt = 0;
    } catch (error) {
      // ListShards allows 100 calls per second per stream, shared by every worker: back off.
      if (!isThrottling(error) || attempt >= 8) throw error;
      attempt += 1;
      await sleep(backoffDelay(attempt, { baseMs: 200, maxMs: 5_000 }), signal);
    }
  } while (nextToken !== undefined);
  return shards;
}
