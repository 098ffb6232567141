import { jsonError } from '../aws-errors.js';
import { jsonResponse, responseJson, withJsonBody } from '../call-helpers.js';
import { asRecord } from '../calls/json-body.js';
import { LOCAL_ACCOUNT_ID } from '../identities.js';
import type { FrontCall, FrontContext, FrontHandler, FrontMiddleware, FrontResponse, MiddlewareFactory } from '../types.js';
import { ShardMap, hashKeyOf, shardOf } from './shard-map.js';
import { TokenBucket } from './token-bucket.js';

/** A provisioned shard's limits (Kinesis Data Streams quotas), per second. */
export const KINESIS_SHARD_LIMITS = {
  writeRecords: 1_000,
  writeBytes: 1024 * 1024,
  /** GetRecords calls, shared by every polling consumer of the shard. */
  readCalls: 5,
  readBytes: 2 * 1024 * 1024,
} as const;

export type KinesisShardLimits = { readonly [K in keyof typeof KINESIS_SHARD_LIMITS]: number };

/** Operations after which a stream's shards are not what they were. */
const RESHARDING_OPERATIONS = new Set(['SplitShard', 'MergeShards', 'UpdateShardCount', 'CreateStream', 'DeleteStream']);

/** The exact text AWS gives, in a refused GetRecords or PutRecord and in each refused PutRecords entry. */
export function rateExceededMessage(streamName: string, shardId: string): string {
  return `Rate exceeded for shard ${shardId} in stream ${streamName} under account ${LOCAL_ACCOUNT_ID}.`;
}

/** Bytes a base64 string of `length` characters decodes to, `padding` being its trailing `=` count. */
function decodedLength(length: number, padding: number): number {
  return Math.max(0, Math.floor((length * 3) / 4) - padding);
}

/** Bytes a record's base64 `Data` decodes to (what a shard's read and write limits count); 0 for anything but a string. */
export function base64Bytes(data: unknown): number {
  if (typeof data !== 'string') return 0;
  const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  return decodedLength(data.length, padding);
}

const DATA_NEEDLE = Buffer.from('"Data":"');

/** The record bytes of a GetRecords answer (what the 2 MiB/s counts), found without parsing up to 10 MiB of JSON. */
export function getRecordsDataBytes(body: Buffer): number {
  let total = 0;
  for (let at = body.indexOf(DATA_NEEDLE); at !== -1; at = body.indexOf(DATA_NEEDLE, at)) {
    const start = at + DATA_NEEDLE.length;
    const end = body.indexOf(0x22, start);
    if (end === -1) break;
    const padding = body[end - 1] === 0x3d ? (body[end - 2] === 0x3d ? 2 : 1) : 0;
    total += decodedLength(end - start, padding);
    at = end;
  }
  return total;
}

/** What one shard has spent and counted. */
class ShardAllowance {
  public readonly writeRecords: TokenBucket;
  public readonly writeBytes: TokenBucket;
  public readonly readCalls: TokenBucket;
  public readonly readBytes: TokenBucket;
  public readonly counts = { recordsWritten: 0, bytesWritten: 0, throttledRecords: 0, getRecordsCalls: 0, throttledReads: 0, bytesRead: 0, peakCallsPerSecond: 0 };
  public firstReadAt: number | undefined;
  public lastReadAt: number | undefined;
  /** Start times of the calls of the last second, for the peak calls per second. */
  private readonly recentReads: number[] = [];

  public constructor(limits: KinesisShardLimits, now: number) {
    this.writeRecords = new TokenBucket(limits.writeRecords, now);
    this.writeBytes = new TokenBucket(limits.writeBytes, now);
    this.readCalls = new TokenBucket(limits.readCalls, now);
    this.readBytes = new TokenBucket(limits.readBytes, now);
  }

  /** A GetRecords call arrived (passed or refused): counted towards calls per second. */
  public readArrived(now: number): void {
    this.counts.getRecordsCalls += 1;
    this.firstReadAt ??= now;
    this.lastReadAt = now;
    this.recentReads.push(now);
    while ((this.recentReads[0] ?? now) <= now - 1000) this.recentReads.shift();
    this.counts.peakCallsPerSecond = Math.max(this.counts.peakCallsPerSecond, this.recentReads.length);
  }

  public stats(): Record<string, number> {
    const spanS = this.firstReadAt === undefined || this.lastReadAt === undefined ? 0 : (this.lastReadAt - this.firstReadAt) / 1000;
    // Calls per second over the span the shard was read (n calls span n-1 intervals).
    const callsPerSecond = spanS > 0 ? Math.round(((this.counts.getRecordsCalls - 1) / spanS) * 100) / 100 : 0;
    return { ...this.counts, getRecordsCallsPerSecond: callsPerSecond };
  }
}

export interface KinesisLimitsOptions {
  /** @default KINESIS_SHARD_LIMITS */
  readonly limits?: Partial<KinesisShardLimits>;
  /** Epoch milliseconds; injectable so unit tests control time. @default Date.now */
  readonly now?: () => number;
}

interface PutEntry {
  readonly index: number;
  readonly shardId: string | undefined;
}

/**
 * Kinesis shard limits, after IAM in the Kinesis front: per shard, writes of 1,000 records/s and
 * 1 MiB/s (PutRecords refuses the records over it one by one, `ProvisionedThroughputExceededException`
 * entries with `FailedRecordCount`, and forwards the rest; PutRecord answers 400), reads of 5
 * GetRecords calls/s and 2 MiB/s shared by every consumer of the shard (400 beyond; the bytes of an
 * answer are charged after it, so a large read refuses the shard's next calls until it is paid
 * back, as AWS does). A record's shard comes from the MD5 of its partition key and the emulator's
 * shard hash ranges. With enforcement off, it only counts reads (the cadence figures still print).
 */
export class KinesisLimitsMiddleware implements FrontMiddleware {
  public readonly name = 'kinesisLimits';
  private readonly limits: KinesisShardLimits;
  private readonly now: () => number;
  private readonly shardMap: ShardMap;
  private readonly shards = new Map<string, ShardAllowance>();

  public constructor(
    private readonly context: Pick<FrontContext, 'enforce'>,
    options: KinesisLimitsOptions = {},
  ) {
    this.limits = { ...KINESIS_SHARD_LIMITS, ...options.limits };
    this.now = options.now ?? Date.now;
    this.shardMap = new ShardMap(this.now);
  }

  public wrap(next: FrontHandler): FrontHandler {
    return async (call) => {
      const streamName = call.kinesis?.streamName;
      if (streamName === undefined) return next(call);
      switch (call.operation) {
        case 'GetRecords':
          return this.getRecords(call, streamName, next);
        case 'PutRecords':
          return this.context.enforce.limits ? this.putRecords(call, streamName, next) : next(call);
        case 'PutRecord':
          return this.context.enforce.limits ? this.putRecord(call, streamName, next) : next(call);
        default: {
          const response = await next(call);
          if (RESHARDING_OPERATIONS.has(call.operation)) this.shardMap.forget(streamName);
          return response;
        }
      }
    };
  }

  public stats(): Record<string, unknown> {
    const shards = Object.fromEntries([...this.shards].map(([key, allowance]) => [key, allowance.stats()]));
    const sum = (field: 'throttledReads' | 'throttledRecords'): number => [...this.shards.values()].reduce((n, a) => n + a.counts[field], 0);
    return { enforced: this.context.enforce.limits, throttledReads: sum('throttledReads'), throttledWriteRecords: sum('throttledRecords'), shards };
  }

  private allowance(streamName: string, shardId: string): ShardAllowance {
    const key = `${streamName}/${shardId}`;
    let allowance = this.shards.get(key);
    if (allowance === undefined) {
      allowance = new ShardAllowance(this.limits, this.now());
      this.shards.set(key, allowance);
    }
    return allowance;
  }

  private async getRecords(call: FrontCall, streamName: string, next: FrontHandler): Promise<FrontResponse> {
    const shardId = call.kinesis?.shardId;
    if (shardId === undefined) return next(call);
    const allowance = this.allowance(streamName, shardId);
    const now = this.now();
    allowance.readArrived(now);
    if (this.context.enforce.limits && (allowance.readBytes.available(now) <= 0 || !allowance.readCalls.tryTake(1, now))) {
      allowance.counts.throttledReads += 1;
      return jsonError('kinesis', 400, 'ProvisionedThroughputExceededException', rateExceededMessage(streamName, shardId));
    }
    const response = await next(call);
    if (response.status === 200) {
      const bytes = getRecordsDataBytes(response.body);
      allowance.counts.bytesRead += bytes;
      allowance.readBytes.charge(bytes, this.now());
    }
    return response;
  }

  /** Spends one record of `bytes` on its shard if both allowances have room. */
  private admit(streamName: string, shardId: string, bytes: number, now: number): boolean {
    const allowance = this.allowance(streamName, shardId);
    if (allowance.writeRecords.available(now) < 1 || allowance.writeBytes.available(now) < bytes) {
      allowance.counts.throttledRecords += 1;
      return false;
    }
    allowance.writeRecords.charge(1, now);
    allowance.writeBytes.charge(bytes, now);
    allowance.counts.recordsWritten += 1;
    allowance.counts.bytesWritten += bytes;
    return true;
  }

  private recordBytes(record: Record<string, unknown>): number {
    const key = typeof record['PartitionKey'] === 'string' ? record['PartitionKey'] : '';
    return base64Bytes(record['Data']) + Buffer.byteLength(key, 'utf8');
  }

  private shardOfRecord(record: Record<string, unknown>, ranges: Parameters<typeof shardOf>[0]): string | undefined {
    const key = record['PartitionKey'];
    if (typeof key !== 'string') return undefined;
    const explicit = record['ExplicitHashKey'];
    return shardOf(ranges, hashKeyOf(key, typeof explicit === 'string' ? explicit : undefined));
  }

  private async putRecord(call: FrontCall, streamName: string, next: FrontHandler): Promise<FrontResponse> {
    const ranges = await this.shardMap.ranges(streamName, call, next);
    const input = asRecord(call.json);
    const shardId = ranges === undefined ? undefined : this.shardOfRecord(input, ranges);
    if (shardId !== undefined && !this.admit(streamName, shardId, this.recordBytes(input), this.now())) {
      return jsonError('kinesis', 400, 'ProvisionedThroughputExceededException', rateExceededMessage(streamName, shardId));
    }
    const response = await next(call);
    if (response.status === 200 && shardId !== undefined && asRecord(responseJson(response))['ShardId'] !== shardId) this.shardMap.forget(streamName);
    return response;
  }

  private async putRecords(call: FrontCall, streamName: string, next: FrontHandler): Promise<FrontResponse> {
    const input = asRecord(call.json);
    const records = Array.isArray(input['Records']) ? (input['Records'] as unknown[]).map(asRecord) : undefined;
    if (records === undefined || records.length === 0) return next(call);
    const ranges = await this.shardMap.ranges(streamName, call, next);
    if (ranges === undefined) return next(call);

    const now = this.now();
    const accepted: PutEntry[] = [];
    const refused: PutEntry[] = [];
    records.forEach((record, index) => {
      const shardId = this.shardOfRecord(record, ranges);
      // A record the map cannot place is the emulator's to judge (a malformed key, a stream mid-reshard).
      if (shardId === undefined || this.admit(streamName, shardId, this.recordBytes(record), now)) accepted.push({ index, shardId });
      else refused.push({ index, shardId });
    });
    if (refused.length === 0) return this.checked(streamName, accepted, await next(call));

    const results: Record<string, unknown>[] = new Array<Record<string, unknown>>(records.length);
    for (const { index, shardId } of refused) {
      results[index] = { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: rateExceededMessage(streamName, shardId ?? 'unknown') };
    }
    let failed = refused.length;
    let template: FrontResponse | undefined;
    if (accepted.length > 0) {
      const response = this.checked(streamName, accepted, await next(withJsonBody(call, { ...input, Records: accepted.map((a) => records[a.index]) })));
      // The emulator refused the call as a whole (validation): that answer stands.
      if (response.status !== 200) return response;
      const answer = asRecord(responseJson(response));
      const entries = Array.isArray(answer['Records']) ? (answer['Records'] as unknown[]).map(asRecord) : [];
      accepted.forEach((a, i) => {
        const entry = entries[i] ?? { ErrorCode: 'InternalFailure', ErrorMessage: 'Internal Service Failure' };
        results[a.index] = entry;
      });
      failed += typeof answer['FailedRecordCount'] === 'number' ? answer['FailedRecordCount'] : 0;
      template = response;
    }
    const json = { FailedRecordCount: failed, Records: results };
    if (template !== undefined) return jsonResponse(template, json);
    const body = Buffer.from(JSON.stringify(json));
    return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1', 'content-length': String(body.length) }, body };
  }

  /** A put that landed on another shard than predicted means the cached ranges are stale. */
  private checked(streamName: string, accepted: readonly PutEntry[], response: FrontResponse): FrontResponse {
    if (response.status !== 200) return response;
    const entries = asRecord(responseJson(response))['Records'];
    if (!Array.isArray(entries)) return response;
    const stale = accepted.some((a, i) => {
      const landed = asRecord(entries[i])['ShardId'];
      return a.shardId !== undefined && typeof landed === 'string' && landed !== a.shardId;
    });
    if (stale) this.shardMap.forget(streamName);
    return response;
  }
}

export const kinesisLimitsMiddleware: MiddlewareFactory = (context) => (context.service === 'kinesis' ? new KinesisLimitsMiddleware(context) : undefined);
