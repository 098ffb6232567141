import { InsightsError, optionErrorOf } from '../errors.js';

/** Base of every error this library throws, so a caller can tell its failures from others. */
export class KinesisLibraryError extends InsightsError {
  public override readonly name: string = 'KinesisLibraryError';
}

/** An option that cannot be used; names the option and what is wrong with it. */
export class InvalidOptionError extends optionErrorOf(KinesisLibraryError, 'kinesis') {
  public override readonly name = 'InvalidOptionError';
}

/** A record the producer will never send as it is (bad partition key, explicit hash key). */
export class InvalidRecordError extends KinesisLibraryError {
  public override readonly name: string = 'InvalidRecordError';
  public constructor(
    public readonly partitionKey: string,
    message: string,
  ) {
    super(message);
  }
}

/** A record larger than one PutRecords entry may be: it can never fit, so it is refused, never dropped. */
export class RecordTooLargeError extends InvalidRecordError {
  public override readonly name = 'RecordTooLargeError';
  public constructor(
    partitionKey: string,
    /** Bytes of data plus the UTF-8 partition key, as Kinesis counts them. */
    public readonly sizeBytes: number,
    public readonly limitBytes: number,
  ) {
    super(partitionKey, `record with partition key '${partitionKey}' is ${sizeBytes} bytes (data + partition key), over the ${limitBytes}-byte limit per record`);
  }
}

/** A record Kinesis did not accept after every retry; `errorCode` is Kinesis's (or the SDK's) last one. */
export class PutRecordFailedError extends KinesisLibraryError {
  public override readonly name = 'PutRecordFailedError';
  public constructor(
    public readonly partitionKey: string,
    public readonly errorCode: string,
    public readonly attempts: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`record with partition key '${partitionKey}' failed after ${attempts} attempt(s): ${errorCode}: ${message}`, options);
  }
}

/** `put()` after `close()`. */
export class ProducerClosedError extends KinesisLibraryError {
  public override readonly name = 'ProducerClosedError';
  public constructor(public readonly streamName: string) {
    super(`producer for stream '${streamName}' is closed`);
  }
}

/**
 * This worker no longer owns a lease: another worker took it (the conditional write failed), or
 * renewals failed for longer than the failover time. The shard's processing stops at once.
 */
export class LeaseLostError extends KinesisLibraryError {
  public override readonly name = 'LeaseLostError';
  public constructor(
    public readonly leaseKey: string,
    public readonly workerId: string,
    public readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`lease '${leaseKey}' lost by worker '${workerId}': ${reason}`, options);
  }
}

/** `start()` after `close()`, or a second `start()`. */
export class ConsumerStateError extends KinesisLibraryError {
  public override readonly name = 'ConsumerStateError';
}
