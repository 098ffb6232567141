import { base64Bytes } from '../limits/kinesis-limits.js';
import { TokenBucket } from '../limits/token-bucket.js';
import { encodeEvent, encodeException } from './event-stream.js';
import { UpstreamKinesisError } from './upstream-kinesis.js';
import type { UpstreamKinesis } from './upstream-kinesis.js';

/** SubscribeToShard's `StartingPosition`. */
export interface StartingPosition {
  readonly Type: 'AT_SEQUENCE_NUMBER' | 'AFTER_SEQUENCE_NUMBER' | 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP';
  readonly SequenceNumber?: string;
  readonly Timestamp?: number;
}

export interface ShardSubscriptionOptions {
  readonly upstream: UpstreamKinesis;
  readonly streamName: string;
  readonly shardId: string;
  readonly start: StartingPosition;
  /** How long the subscription pushes before it ends and must be renewed (AWS: 5 minutes). */
  readonly lifetimeMs: number;
  /** Longest wait between reads of a caught-up shard when no write wakes it. */
  readonly idleReadMs: number;
  /** Most records in one event. */
  readonly maxRecordsPerEvent: number;
  /** An event without records after this long without one, as AWS sends on an idle shard. */
  readonly idleEventMs: number;
  /**
   * The consumer's read pipe on this shard, record bytes a second (AWS: 2 MiB/s per consumer and
   * shard, one second's worth banked): pushes slow to it rather than fail. Infinity when the front
   * does not enforce limits.
   */
  readonly maxBytesPerSecond: number;
}

interface UpstreamRecord {
  readonly SequenceNumber: string;
  readonly Data?: string;
}

interface GetRecordsAnswer {
  readonly Records?: UpstreamRecord[];
  readonly NextShardIterator?: string;
  readonly MillisBehindLatest?: number;
}

interface ListShardsAnswer {
  readonly Shards?: { ShardId: string; ParentShardId?: string; AdjacentParentShardId?: string; HashKeyRange: unknown }[];
  readonly NextToken?: string;
}

/** What a subscription counted, summed by the middleware. */
export interface SubscriptionCounts {
  events: number;
  records: number;
  reads: number;
  /** Times a push waited for the consumer's read pipe (its 2 MiB/s per shard). */
  pipeWaits: number;
}

/**
 * One SubscribeToShard connection's pushes: the `initial-response` event, then a
 * `SubscribeToShardEvent` whenever the shard has records past the last one pushed (a write through
 * the front wakes it at once; otherwise it reads every `idleReadMs`), until the lifetime ends, the
 * shard is read to its end (a last event with ChildShards and no continuation), or another
 * subscription takes over (a `ResourceInUseException` ends the stream, as AWS ends the older one).
 */
export class ShardSubscription {
  /** The wait in progress: an ending cuts any short, a write only an idle one (not the read pipe's). */
  private waiting: { readonly cut: () => void; readonly byWrites: boolean } | undefined;
  /** A write came in since the last read started: the next idle wait is skipped. */
  private woken = false;
  private ending: { type: string; message: string } | undefined;
  public readonly counts: SubscriptionCounts = { events: 0, records: 0, reads: 0, pipeWaits: 0 };

  public constructor(private readonly options: ShardSubscriptionOptions) {}

  public get streamName(): string {
    return this.options.streamName;
  }

  /** Records may have arrived: read now instead of at the next idle read. */
  public wake(): void {
    this.woken = true;
    if (this.waiting?.byWrites === true) this.waiting.cut();
  }

  /** Ends the stream with this exception at the next push (taken over, consumer or stream deleted). */
  public end(type: string, message: string): void {
    this.ending ??= { type, message };
    this.woken = true;
    this.waiting?.cut();
  }

  public async *events(signal: AbortSignal): AsyncGenerator<Buffer> {
    const upstream = this.options.upstream;
    const until = Date.now() + this.options.lifetimeMs;
    yield encodeEvent('initial-response', {});
    try {
      let iterator = await this.firstIterator();
      let continuation = this.options.start.Type === 'AFTER_SEQUENCE_NUMBER' || this.options.start.Type === 'AT_SEQUENCE_NUMBER' ? this.options.start.SequenceNumber : undefined;
      let lastEventAt = Date.now();
      const pipe = Number.isFinite(this.options.maxBytesPerSecond) ? new TokenBucket(this.options.maxBytesPerSecond, Date.now()) : undefined;
      while (!signal.aborted && this.ending === undefined && Date.now() < until) {
        // A backlog is pushed no faster than the pipe: the bytes of the last event are paid back first.
        const owed = pipe === undefined ? 0 : -pipe.available(Date.now());
        if (owed > 0) {
          this.counts.pipeWaits += 1;
          await this.wait(Math.ceil((owed / this.options.maxBytesPerSecond) * 1000), signal, false);
          continue;
        }
        this.counts.reads += 1;
        this.woken = false;
        const answer = await upstream.call<GetRecordsAnswer>('GetRecords', { ShardIterator: iterator, Limit: this.options.maxRecordsPerEvent });
        const records = answer.Records ?? [];
        if (records.length > 0) {
          pipe?.charge(records.reduce((bytes, record) => bytes + base64Bytes(record.Data), 0), Date.now());
          continuation = (records[records.length - 1] as UpstreamRecord).SequenceNumber;
          this.counts.events += 1;
          this.counts.records += records.length;
          yield encodeEvent('SubscribeToShardEvent', { Records: records, ContinuationSequenceNumber: continuation, MillisBehindLatest: answer.MillisBehindLatest ?? 0 });
          lastEventAt = Date.now();
        } else if (Date.now() - lastEventAt >= this.options.idleEventMs) {
          // Before its first record a subscription from TRIM_HORIZON or LATEST has no sequence
          // number to give (AWS would give the shard's position): the continuation is left out.
          this.counts.events += 1;
          yield encodeEvent('SubscribeToShardEvent', { Records: [], MillisBehindLatest: 0, ...(continuation === undefined ? {} : { ContinuationSequenceNumber: continuation }) });
          lastEventAt = Date.now();
        }
        if (answer.NextShardIterator === undefined) {
          this.counts.events += 1;
          yield encodeEvent('SubscribeToShardEvent', { Records: [], MillisBehindLatest: 0, ChildShards: await this.childShards() });
          return;
        }
        iterator = answer.NextShardIterator;
        if (records.length < this.options.maxRecordsPerEvent) await this.wait(Math.min(this.options.idleReadMs, until - Date.now(), lastEventAt + this.options.idleEventMs - Date.now()), signal, true);
      }
      if (this.ending !== undefined) yield encodeException(this.ending.type, this.ending.message);
    } catch (error) {
      if (signal.aborted) return;
      const type = error instanceof UpstreamKinesisError ? error.type : 'InternalFailureException';
      yield encodeException(type, (error as Error).message);
    }
  }

  private async firstIterator(): Promise<string> {
    const { Type, SequenceNumber, Timestamp } = this.options.start;
    const answer = await this.options.upstream.call<{ ShardIterator: string }>('GetShardIterator', {
      StreamName: this.options.streamName,
      ShardId: this.options.shardId,
      ShardIteratorType: Type,
      ...(SequenceNumber === undefined ? {} : { StartingSequenceNumber: SequenceNumber }),
      ...(Timestamp === undefined ? {} : { Timestamp }),
    });
    return answer.ShardIterator;
  }

  /** The shards that continue this one (kinesalite's GetRecords does not name them; ListShards does). */
  private async childShards(): Promise<{ ShardId: string; ParentShards: string[]; HashKeyRange: unknown }[]> {
    const shards: NonNullable<ListShardsAnswer['Shards']> = [];
    let token: string | undefined;
    do {
      const page: ListShardsAnswer = await this.options.upstream.call<ListShardsAnswer>('ListShards', token === undefined ? { StreamName: this.options.streamName } : { NextToken: token });
      shards.push(...(page.Shards ?? []));
      token = page.NextToken;
    } while (token !== undefined);
    return shards
      .filter((s) => s.ParentShardId === this.options.shardId || s.AdjacentParentShardId === this.options.shardId)
      .map((s) => ({ ShardId: s.ShardId, ParentShards: [s.ParentShardId, s.AdjacentParentShardId].filter((p): p is string => p !== undefined), HashKeyRange: s.HashKeyRange }));
  }

  /** Waits `ms`; an ending or an abort cuts it short, and a write too when `byWrites` (an idle wait, not the read pipe's pace). */
  private wait(ms: number, signal: AbortSignal, byWrites: boolean): Promise<void> {
    if (ms <= 0 || signal.aborted || this.ending !== undefined || (byWrites && this.woken)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const cut = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', cut);
        this.waiting = undefined;
        resolve();
      };
      const timer = setTimeout(cut, ms);
      signal.addEventListener('abort', cut, { once: true });
      this.waiting = { cut, byWrites };
    });
  }
}
