import { arnOf } from '../../../../shared/iam/arns.js';
import { LOCAL_SCOPE } from '../identities.js';

/** Kinesis Data Streams quotas on registered consumers. */
export const STREAM_CONSUMER_LIMITS = {
  /** Registered consumers per stream (enhanced fan-out). */
  perStream: 20,
  /** Consumer names: 1 to 128 of `[a-zA-Z0-9_.-]`. */
  namePattern: /^[a-zA-Z0-9_.-]{1,128}$/,
} as const;

export type ConsumerStatus = 'CREATING' | 'ACTIVE';

export interface StreamConsumer {
  readonly streamName: string;
  readonly streamArn: string;
  readonly consumerName: string;
  readonly consumerArn: string;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  /** Epoch milliseconds from which it may subscribe. */
  readonly activeAt: number;
}

export class ConsumerRegistryError extends Error {
  public override readonly name = 'ConsumerRegistryError';
  public constructor(
    public readonly type: 'ResourceInUseException' | 'ResourceNotFoundException' | 'LimitExceededException' | 'ValidationException',
    message: string,
  ) {
    super(message);
  }
}

/**
 * The consumers registered for enhanced fan-out, per stream, as Kinesis keeps them: a consumer is
 * CREATING for a while after RegisterStreamConsumer (AWS takes seconds; here `activationMs`) and
 * refuses subscriptions until it is ACTIVE; a name is unique per stream; twenty per stream at most.
 */
export class ConsumerRegistry {
  private readonly byArn = new Map<string, StreamConsumer>();

  public constructor(private readonly activationMs: number) {}

  public register(streamName: string, consumerName: string, now = Date.now()): StreamConsumer {
    if (!STREAM_CONSUMER_LIMITS.namePattern.test(consumerName)) {
      throw new ConsumerRegistryError('ValidationException', `1 validation error detected: Value '${consumerName}' at 'consumerName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length 1 to 128`);
    }
    const existing = this.ofStream(streamName);
    if (existing.some((c) => c.consumerName === consumerName)) {
      throw new ConsumerRegistryError('ResourceInUseException', `Consumer ${consumerName} under stream ${streamName} already exists for account ${LOCAL_SCOPE.accountId}.`);
    }
    if (existing.length >= STREAM_CONSUMER_LIMITS.perStream) {
      throw new ConsumerRegistryError('LimitExceededException', `Stream ${streamName} under account ${LOCAL_SCOPE.accountId} has reached the limit of ${STREAM_CONSUMER_LIMITS.perStream} registered consumers.`);
    }
    const streamArn = arnOf.stream(LOCAL_SCOPE, streamName);
    const consumer: StreamConsumer = {
      streamName,
      streamArn,
      consumerName,
      consumerArn: `${streamArn}/consumer/${consumerName}:${Math.floor(now / 1000)}`,
      createdAt: now,
      activeAt: now + this.activationMs,
    };
    this.byArn.set(consumer.consumerArn, consumer);
    return consumer;
  }

  public status(consumer: StreamConsumer, now = Date.now()): ConsumerStatus {
    return now >= consumer.activeAt ? 'ACTIVE' : 'CREATING';
  }

  /** By ARN, or by stream and name (DescribeStreamConsumer and DeregisterStreamConsumer take either). */
  public find(by: { consumerArn?: string | undefined; streamName?: string | undefined; consumerName?: string | undefined }): StreamConsumer {
    const found =
      by.consumerArn !== undefined
        ? this.byArn.get(by.consumerArn)
        : by.streamName !== undefined && by.consumerName !== undefined
          ? this.ofStream(by.streamName).find((c) => c.consumerName === by.consumerName)
          : undefined;
    if (found === undefined) {
      const what = by.consumerArn ?? `${by.consumerName ?? '?'} under stream ${by.streamName ?? '?'}`;
      throw new ConsumerRegistryError('ResourceNotFoundException', `Consumer ${what} not found.`);
    }
    return found;
  }

  public ofStream(streamName: string): StreamConsumer[] {
    return [...this.byArn.values()].filter((c) => c.streamName === streamName);
  }

  public remove(consumer: StreamConsumer): void {
    this.byArn.delete(consumer.consumerArn);
  }

  /** A deleted stream takes its consumers with it. */
  public removeStream(streamName: string): StreamConsumer[] {
    const gone = this.ofStream(streamName);
    for (const consumer of gone) this.byArn.delete(consumer.consumerArn);
    return gone;
  }

  public get size(): number {
    return this.byArn.size;
  }
}
