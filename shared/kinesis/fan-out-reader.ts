import { SubscribeToShardCommand } from '@aws-sdk/client-kinesis';
import type { ChildShard, KinesisClient, StartingPosition, _Record } from '@aws-sdk/client-kinesis';
import type { Logger } from '../logger.js';
import { sleep } from '../backoff.js';
import { errorName, isPermanent, isThrottling } from './aws-errors.js';
import { FAN_OUT_STALL_MS } from './constants.js';

/** Where a subscription starts: the shard's start or tip, or after a sequence number. */
export type SubscribePosition = Pick<StartingPosition, 'Type' | 'SequenceNumber'>;

/** What a subscription hands the shard processor: records (none in an idle shard's event), or the shard's end. */
export type FanOutRead =
  | { readonly kind: 'records'; readonly records: readonly _Record[]; readonly millisBehindLatest: number }
  | { readonly kind: 'end'; readonly childShards: readonly ChildShard[] };

export interface FanOutReaderOptions {
  /** An HTTP/2 client (`createKinesisFanOutClient`): AWS serves SubscribeToShard over nothing else. */
  readonly kinesis: KinesisClient;
  /** The registered consumer (RegisterStreamConsumer; `aws.kinesis.StreamConsumer` in infra). */
  readonly consumerArn: string;
  readonly shardId: string;
  /** Where the first subscription starts; later ones go on after the last record handed over. */
  readonly start: SubscribePosition;
  /** Delay before the next subscription after a failed one (attempt 1, 2, ...). */
  readonly backoff: (attempt: number) => number;
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /** Counts what the reader did, for the processor's metrics. */
  readonly counts: { subscriptions: number; throttled: number; resubscribeRefused: number; stalled: number };
  /** A subscription silent for this long is cancelled and renewed. @default FAN_OUT_STALL_MS */
  readonly stallMs?: number;
}

/** A refusal to subscribe that waiting fixes: a consumer still CREATING, or another subscription made within five seconds. */
const RESUBSCRIBE_LATER = 'ResourceInUseException';
/** The least wait after a refused subscription: AWS refuses the same consumer and shard for five seconds after a successful call. */
const RESUBSCRIBE_FLOOR_MS = 1_000;

/**
 * A shard read by enhanced fan-out: SubscribeToShard pushes records as they arrive (no polling,
 * no share of the shard's five GetRecords a second), each subscription for up to five minutes;
 * this renews it after the last record handed over (`ContinuationSequenceNumber`), backs off on
 * refusals, and ends with the child shards when the shard is read to its end. The consumer pulls
 * one event at a time, so a busy processor holds the stream back (HTTP/2 flow control) instead of
 * buffering a shard's backlog.
 */
export async function* readByFanOut(options: FanOutReaderOptions): AsyncGenerator<FanOutRead> {
  const log = options.logger;
  let position: SubscribePosition = options.start;
  let failures = 0;
  const stallMs = options.stallMs ?? FAN_OUT_STALL_MS;
  while (!options.signal.aborted) {
    const subscription = new AbortController();
    const stop = (): void => subscription.abort();
    options.signal.addEventListener('abort', stop, { once: true });
    let stalled = false;
    const noteStall = (): void => {
      options.counts.stalled += 1;
      log.warn({ consumerArn: options.consumerArn, position, stallMs }, 'no SubscribeToShard event within the stall time; subscribing again');
    };
    let watchdog: NodeJS.Timeout | undefined;
    // Re-armed at every event; it does not count while the processor holds the stream back.
    const watch = (): void => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        stalled = true;
        subscription.abort();
      }, stallMs);
    };
    try {
      watch();
      options.counts.subscriptions += 1;
      const { EventStream } = await options.kinesis.send(
        new SubscribeToShardCommand({ ConsumerARN: options.consumerArn, ShardId: options.shardId, StartingPosition: position }),
        { abortSignal: subscription.signal },
      );
      failures = 0;
      watch();
      for await (const event of EventStream ?? []) {
        clearTimeout(watchdog);
        const pushed = event.SubscribeToShardEvent;
        if (pushed === undefined) {
          watch();
          continue;
        }
        if (pushed.ContinuationSequenceNumber !== undefined && pushed.ContinuationSequenceNumber !== null) {
          position = { Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: pushed.ContinuationSequenceNumber };
        }
        // No continuation and the children named: the shard is closed and read to its end.
        if ((pushed.ContinuationSequenceNumber === undefined || pushed.ContinuationSequenceNumber === null) && (pushed.ChildShards?.length ?? 0) > 0) {
          const records = pushed.Records ?? [];
          if (records.length > 0) yield { kind: 'records', records, millisBehindLatest: pushed.MillisBehindLatest ?? 0 };
          yield { kind: 'end', childShards: pushed.ChildShards ?? [] };
          return;
        }
        // An idle shard's event (no records) goes through too: it says the subscription is alive.
        yield { kind: 'records', records: pushed.Records ?? [], millisBehindLatest: pushed.MillisBehindLatest ?? 0 };
        watch();
      }
      // The subscription's five minutes are over (or it stalled and was cancelled): renew it at once.
      if (stalled && !options.signal.aborted) noteStall();
    } catch (error) {
      if (options.signal.aborted) return;
      if (stalled) {
        noteStall();
        continue;
      }
      failures += 1;
      const name = errorName(error);
      if (name === RESUBSCRIBE_LATER) options.counts.resubscribeRefused += 1;
      if (isThrottling(error)) options.counts.throttled += 1;
      const level = isPermanent(error) ? 'error' : name === RESUBSCRIBE_LATER ? 'info' : 'warn';
      log[level]({ err: error, attempt: failures, consumerArn: options.consumerArn, position }, 'SubscribeToShard failed; subscribing again');
      const wait = options.backoff(failures);
      await sleep(name === RESUBSCRIBE_LATER ? Math.max(RESUBSCRIBE_FLOOR_MS, wait) : wait, options.signal);
    } finally {
      clearTimeout(watchdog);
      options.signal.removeEventListener('abort', stop);
      subscription.abort();
    }
  }
}
