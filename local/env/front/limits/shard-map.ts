import { createHash } from 'node:crypto';
import { responseJson } from '../call-helpers.js';
import { asRecord } from '../calls/json-body.js';
import type { FrontCall, FrontHandler } from '../types.js';

/** A stream's shard list is asked again after this long, so a reshard done behind the front's back is noticed. */
const SHARD_LIST_TTL_MS = 10_000;

/** One open shard and the hash keys it owns (inclusive). */
export interface ShardRange {
  readonly shardId: string;
  readonly start: bigint;
  readonly end: bigint;
}

/** The 128-bit hash key Kinesis routes a record by: MD5 of the partition key, or the explicit hash key. */
export function hashKeyOf(partitionKey: string, explicitHashKey?: string): bigint {
  if (explicitHashKey !== undefined && /^\d+$/.test(explicitHashKey)) return BigInt(explicitHashKey);
  return BigInt(`0x${createHash('md5').update(partitionKey, 'utf8').digest('hex')}`);
}

/** The open shard whose range holds `hashKey`; undefined when none does (a list caught mid-reshard). */
export function shardOf(ranges: readonly ShardRange[], hashKey: bigint): string | undefined {
  for (const range of ranges) if (hashKey >= range.start && hashKey <= range.end) return range.shardId;
  return undefined;
}

/** The open shards of a ListShards answer (a closed shard has an ending sequence number and takes no writes). */
export function openShardRanges(shards: readonly unknown[]): ShardRange[] {
  return shards.flatMap((shard) => {
    const s = asRecord(shard);
    const range = asRecord(s['HashKeyRange']);
    const ending = asRecord(s['SequenceNumberRange'])['EndingSequenceNumber'];
    if (typeof s['ShardId'] !== 'string' || typeof range['StartingHashKey'] !== 'string' || typeof range['EndingHashKey'] !== 'string') return [];
    if (typeof ending === 'string') return [];
    return [{ shardId: s['ShardId'], start: BigInt(range['StartingHashKey']), end: BigInt(range['EndingHashKey']) }];
  });
}

/**
 * Which shard a partition key lands on, per stream, as the emulator says: the stream's shards are
 * asked with ListShards (through the rest of the chain, with the caller's signature) and cached,
 * forgotten on a reshard seen through the front, after `SHARD_LIST_TTL_MS`, or when a put lands on
 * a shard the map did not predict.
 */
export class ShardMap {
  private readonly streams = new Map<string, { ranges: Promise<ShardRange[] | undefined>; at: number }>();

  public constructor(private readonly now: () => number = Date.now) {}

  /** The stream's open shards; undefined when the emulator would not list them (no such stream). */
  public ranges(streamName: string, template: FrontCall, next: FrontHandler): Promise<ShardRange[] | undefined> {
    const cached = this.streams.get(streamName);
    if (cached !== undefined && this.now() - cached.at < SHARD_LIST_TTL_MS) return cached.ranges;
    const ranges = this.list(streamName, template, next).catch(() => undefined);
    const entry = { ranges, at: this.now() };
    this.streams.set(streamName, entry);
    // A failed listing is not kept: the next call asks again.
    void ranges.then((r) => {
      if (r === undefined && this.streams.get(streamName) === entry) this.streams.delete(streamName);
    });
    return ranges;
  }

  public forget(streamName: string): void {
    this.streams.delete(streamName);
  }

  private async list(streamName: string, template: FrontCall, next: FrontHandler): Promise<ShardRange[] | undefined> {
    const shards: unknown[] = [];
    let token: string | undefined;
    do {
      const json = token === undefined ? { StreamName: streamName } : { NextToken: token };
      const body = Buffer.from(JSON.stringify(json));
      const response = await next({
        ...template,
        operation: 'ListShards',
        action: 'kinesis:ListShards',
        http: { ...template.http, headers: { ...template.http.headers, 'x-amz-target': 'Kinesis_20131202.ListShards', 'content-length': String(body.length) } },
        body,
        json,
      });
      if (response.status !== 200) return undefined;
      const answer = asRecord(responseJson(response));
      if (Array.isArray(answer['Shards'])) shards.push(...(answer['Shards'] as unknown[]));
      token = typeof answer['NextToken'] === 'string' ? answer['NextToken'] : undefined;
    } while (token !== undefined);
    return openShardRanges(shards);
  }
}
