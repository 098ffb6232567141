import { randomUUID } from 'node:crypto';
import { jsonError } from '../aws-errors.js';
import { asRecord } from '../calls/json-body.js';
import type { FrontCall, FrontContext, FrontHandler, FrontMiddleware, FrontResponse, MiddlewareFactory } from '../types.js';
import { LOCAL_SCOPE } from '../identities.js';
import { ConsumerRegistry, ConsumerRegistryError } from './consumer-registry.js';
import type { StreamConsumer } from './consumer-registry.js';
import { ShardSubscription } from './shard-subscription.js';
import type { StartingPosition, SubscriptionCounts } from './shard-subscription.js';
import { UpstreamKinesis, UpstreamKinesisError } from './upstream-kinesis.js';
import { FAN_OUT_IDLE_EVENT_MS } from '../../../../shared/kinesis/constants.js';

/** Enhanced fan-out as Kinesis runs it (API reference, SubscribeToShard and RegisterStreamConsumer). */
export const FAN_OUT_LIMITS = {
  /** A subscription pushes for this long, then the consumer must subscribe again. */
  subscriptionMs: 5 * 60_000,
  /** A second SubscribeToShard of the same consumer and shard this soon after a successful one is refused; later, it takes over. */
  resubscribeMs: 5_000,
  /** Most records in one SubscribeToShard event (as in one GetRecords answer). */
  maxRecordsPerEvent: 10_000,
  /** Each registered consumer's read pipe per shard, record bytes a second. */
  bytesPerSecondPerShard: 2 * 1024 * 1024,
} as const;

export interface FanOutOptions {
  /** How long a registered consumer stays CREATING. AWS takes seconds. @default 250 */
  readonly activationMs?: number;
  /** @default FAN_OUT_LIMITS.subscriptionMs */
  readonly subscriptionMs?: number;
  /** @default FAN_OUT_LIMITS.resubscribeMs */
  readonly resubscribeMs?: number;
  /** Reads of a caught-up shard when no write through the front wakes a subscription. @default 1_000 */
  readonly idleReadMs?: number;
  /** An event without records after this long without one. @default FAN_OUT_IDLE_EVENT_MS (5 s) */
  readonly idleEventMs?: number;
}

const STARTING_TYPES = new Set(['AT_SEQUENCE_NUMBER', 'AFTER_SEQUENCE_NUMBER', 'TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP']);
const EVENT_STREAM_HEADERS = { 'content-type': 'application/vnd.amazon.eventstream' } as const;

function answer(json: unknown): FrontResponse {
  const body = Buffer.from(JSON.stringify(json));
  return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID(), 'content-length': String(body.length) }, body };
}

function kinesisError(type: string, message: string): FrontResponse {
  return jsonError('kinesis', 400, type, message);
}

function optionalString(json: Record<string, unknown>, field: string): string | undefined {
  const value = json[field];
  return typeof value === 'string' ? value : undefined;
}

/** The JSON 1.1 protocol's timestamps: epoch seconds. */
const seconds = (ms: number): number => ms / 1000;

/** The counts a subscription keeps, added to the front's totals when it settles. */
const SUBSCRIPTION_COUNTS = ['events', 'records', 'reads', 'pipeWaits'] as const satisfies readonly (keyof SubscriptionCounts)[];

/**
 * Enhanced fan-out, which kinesalite lacks: RegisterStreamConsumer, DescribeStreamConsumer,
 * ListStreamConsumers and DeregisterStreamConsumer kept by the front, and SubscribeToShard answered
 * over HTTP/2 as an event stream that pushes a shard's records as soon as a write through this
 * front lands on its stream. Its reads do not spend the shard's five GetRecords calls a second
 * (each consumer has its own 2 MiB/s pipe per shard, and a backlog is pushed no faster); a second subscription of the same consumer and shard
 * within five seconds is refused, a later one takes over, and a subscription ends after five
 * minutes, all as AWS does, so a consumer that mishandles any of it fails here first. IAM (before
 * this in the chain) authorises SubscribeToShard and DescribeStreamConsumer on the consumer's ARN.
 */
export class FanOutMiddleware implements FrontMiddleware {
  public readonly name = 'fan-out';
  private readonly upstream: UpstreamKinesis;
  private readonly registry: ConsumerRegistry;
  private readonly settings: Required<FanOutOptions>;
  /** Per "<consumer ARN> <shard>": the live subscription and when it was made. */
  private readonly subscriptions = new Map<string, { subscription: ShardSubscription; at: number }>();
  /** Per "<consumer ARN> <shard>": when the last successful SubscribeToShard was, ended or not (the five-second rule counts from it). */
  private readonly subscribedAt = new Map<string, number>();
  private readonly counts = { subscribed: 0, refusedInUse: 0, takenOver: 0, events: 0, records: 0, reads: 0, pipeWaits: 0 };

  /** Whether the front enforces AWS's limits (here: each consumer's 2 MiB/s per shard). */
  private readonly enforceLimits: boolean;

  public constructor(context: FrontContext, options: FanOutOptions = {}) {
    this.upstream = new UpstreamKinesis(context.upstream);
    this.enforceLimits = context.enforce.limits;
    this.settings = {
      activationMs: options.activationMs ?? 250,
      subscriptionMs: options.subscriptionMs ?? FAN_OUT_LIMITS.subscriptionMs,
      resubscribeMs: options.resubscribeMs ?? FAN_OUT_LIMITS.resubscribeMs,
      idleReadMs: options.idleReadMs ?? 1_000,
      idleEventMs: options.idleEventMs ?? FAN_OUT_IDLE_EVENT_MS,
    };
    this.registry = new ConsumerRegistry(this.settings.activationMs);
  }

  public wrap(next: FrontHandler): FrontHandler {
    return async (call) => {
      try {
        switch (call.operation) {
          case 'RegisterStreamConsumer':
            return await this.register(call);
          case 'DescribeStreamConsumer':
            return this.describe(call);
          case 'ListStreamConsumers':
            return this.list(call);
          case 'DeregisterStreamConsumer':
            return this.deregister(call);
          case 'SubscribeToShard':
            return this.subscribe(call);
          case 'PutRecord':
          case 'PutRecords':
            return this.afterWrite(call, await next(call));
          case 'DeleteStream':
            return this.refuseDelete(call) ?? this.afterDelete(call, await next(call));
          default:
            return await next(call);
        }
      } catch (error) {
        if (error instanceof ConsumerRegistryError) return kinesisError(error.type, error.message);
        if (error instanceof UpstreamKinesisError) return kinesisError(error.type, error.message);
        throw error;
      }
    };
  }

  public stats(): Record<string, unknown> {
    const live = [...this.subscriptions.values()].map((s) => s.subscription.counts);
    const sum = (key: (typeof SUBSCRIPTION_COUNTS)[number]): number => this.counts[key] + live.reduce((total, c) => total + c[key], 0);
    return { consumers: this.registry.size, subscriptions: this.subscriptions.size, subscribed: this.counts.subscribed, refusedInUse: this.counts.refusedInUse, takenOver: this.counts.takenOver, events: sum('events'), records: sum('records'), reads: sum('reads'), pipeWaits: sum('pipeWaits') };
  }

  public close(): Promise<void> {
    for (const { subscription } of this.subscriptions.values()) subscription.end('InternalFailureException', 'The local Kinesis front is stopping.');
    this.upstream.close();
    return Promise.resolve();
  }

  private streamNameOf(call: FrontCall): string {
    const name = call.kinesis?.streamName;
    if (name === undefined) throw new ConsumerRegistryError('ValidationException', `${call.operation} needs StreamARN`);
    return name;
  }

  private describeConsumer(consumer: StreamConsumer) {
    return {
      ConsumerName: consumer.consumerName,
      ConsumerARN: consumer.consumerArn,
      ConsumerStatus: this.registry.status(consumer),
      ConsumerCreationTimestamp: seconds(consumer.createdAt),
    };
  }

  private async register(call: FrontCall): Promise<FrontResponse> {
    const json = asRecord(call.json);
    const streamName = this.streamNameOf(call);
    // The stream must exist (ResourceNotFoundException from the emulator otherwise).
    await this.upstream.call('DescribeStreamSummary', { StreamName: streamName });
    const consumer = this.registry.register(streamName, optionalString(json, 'ConsumerName') ?? '');
    return answer({ Consumer: this.describeConsumer(consumer) });
  }

  private describe(call: FrontCall): FrontResponse {
    const json = asRecord(call.json);
    const consumer = this.registry.find({ consumerArn: optionalString(json, 'ConsumerARN'), streamName: call.kinesis?.streamName, consumerName: optionalString(json, 'ConsumerName') });
    return answer({ ConsumerDescription: { ...this.describeConsumer(consumer), StreamARN: consumer.streamArn } });
  }

  private list(call: FrontCall): FrontResponse {
    const consumers = this.registry.ofStream(this.streamNameOf(call));
    return answer({ Consumers: consumers.map((c) => this.describeConsumer(c)) });
  }

  private deregister(call: FrontCall): FrontResponse {
    const json = asRecord(call.json);
    const consumer = this.registry.find({ consumerArn: optionalString(json, 'ConsumerARN'), streamName: call.kinesis?.streamName, consumerName: optionalString(json, 'ConsumerName') });
    this.registry.remove(consumer);
    this.endSubscriptions((key) => key.startsWith(`${consumer.consumerArn} `), 'ResourceNotFoundException', `Consumer ${consumer.consumerArn} was deregistered.`);
    return answer({});
  }

  private subscribe(call: FrontCall): FrontResponse {
    const json = asRecord(call.json);
    const consumer = this.registry.find({ consumerArn: optionalString(json, 'ConsumerARN') });
    if (this.registry.status(consumer) !== 'ACTIVE') {
      this.counts.refusedInUse += 1;
      return kinesisError('ResourceInUseException', `Consumer ${consumer.consumerArn} is not ACTIVE yet.`);
    }
    const shardId = optionalString(json, 'ShardId');
    if (shardId === undefined) return kinesisError('ValidationException', 'SubscribeToShard needs ShardId');
    const start = asRecord(json['StartingPosition']);
    const type = optionalString(start, 'Type');
    if (type === undefined || !STARTING_TYPES.has(type)) return kinesisError('InvalidArgumentException', `StartingPosition.Type must be one of ${[...STARTING_TYPES].join(', ')}`);
    const key = `${consumer.consumerArn} ${shardId}`;
    const now = Date.now();
    const previous = this.subscriptions.get(key);
    const last = this.subscribedAt.get(key);
    if (last !== undefined && now - last < this.settings.resubscribeMs) {
      this.counts.refusedInUse += 1;
      return kinesisError('ResourceInUseException', `Another active subscription exists for this consumer: ${consumer.consumerArn} on shard ${shardId}.`);
    }
    if (previous !== undefined) {
      this.counts.takenOver += 1;
      previous.subscription.end('ResourceInUseException', `Another subscription of ${consumer.consumerArn} on shard ${shardId} took over.`);
    }
    const position: StartingPosition = {
      Type: type as StartingPosition['Type'],
      ...(optionalString(start, 'SequenceNumber') === undefined ? {} : { SequenceNumber: optionalString(start, 'SequenceNumber') as string }),
      ...(typeof start['Timestamp'] === 'number' ? { Timestamp: start['Timestamp'] } : {}),
    };
    const subscription = new ShardSubscription({
      upstream: this.upstream,
      streamName: consumer.streamName,
      shardId,
      start: position,
      lifetimeMs: this.settings.subscriptionMs,
      idleReadMs: this.settings.idleReadMs,
      maxRecordsPerEvent: FAN_OUT_LIMITS.maxRecordsPerEvent,
      idleEventMs: this.settings.idleEventMs,
      maxBytesPerSecond: this.enforceLimits ? FAN_OUT_LIMITS.bytesPerSecondPerShard : Infinity,
    });
    const entry = { subscription, at: now };
    this.subscriptions.set(key, entry);
    for (const [k, at] of this.subscribedAt) if (now - at >= this.settings.resubscribeMs) this.subscribedAt.delete(k);
    this.subscribedAt.set(key, now);
    this.counts.subscribed += 1;
    const settle = (): void => {
      // The entry stays while it still blocks a resubscription; its counts move to the totals once.
      if (this.subscriptions.get(key) === entry) this.subscriptions.delete(key);
      for (const k of SUBSCRIPTION_COUNTS) this.counts[k] += subscription.counts[k];
    };
    const events = subscription.events.bind(subscription);
    return {
      status: 200,
      headers: { ...EVENT_STREAM_HEADERS, 'x-amzn-requestid': randomUUID() },
      body: Buffer.alloc(0),
      stream: async function* (signal: AbortSignal) {
        try {
          yield* events(signal);
        } finally {
          settle();
        }
      },
    };
  }

  private afterWrite(call: FrontCall, response: FrontResponse): FrontResponse {
    const streamName = call.kinesis?.streamName;
    if (response.status === 200 && streamName !== undefined) {
      for (const { subscription } of this.subscriptions.values()) if (subscription.streamName === streamName) subscription.wake();
    }
    return response;
  }

  /** AWS refuses to delete a stream with registered consumers unless the call says EnforceConsumerDeletion. */
  private refuseDelete(call: FrontCall): FrontResponse | undefined {
    const streamName = call.kinesis?.streamName;
    if (streamName === undefined || asRecord(call.json)['EnforceConsumerDeletion'] === true) return undefined;
    const consumers = this.registry.ofStream(streamName);
    if (consumers.length === 0) return undefined;
    return kinesisError('ResourceInUseException', `Stream ${streamName} under account ${LOCAL_SCOPE.accountId} has ${consumers.length} registered consumers; deregister them or set EnforceConsumerDeletion.`);
  }

  private afterDelete(call: FrontCall, response: FrontResponse): FrontResponse {
    const streamName = call.kinesis?.streamName;
    if (response.status === 200 && streamName !== undefined) {
      for (const consumer of this.registry.removeStream(streamName)) {
        this.endSubscriptions((key) => key.startsWith(`${consumer.consumerArn} `), 'ResourceNotFoundException', `Stream ${streamName} was deleted.`);
      }
    }
    return response;
  }

  private endSubscriptions(matches: (key: string) => boolean, type: string, message: string): void {
    for (const [key, { subscription }] of this.subscriptions) if (matches(key)) subscription.end(type, message);
  }
}

export const fanOutMiddleware = (options: FanOutOptions = {}): MiddlewareFactory => (context) => (context.service === 'kinesis' ? new FanOutMiddleware(context, options) : undefined);
