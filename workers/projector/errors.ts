import { WorkerError } from '../errors.js';

/** Base of every projector failure. */
export class ProjectorError extends WorkerError {
  public override readonly name: string = 'ProjectorError';
}

/** A results-stream record that is not a `ScoredResult` the view can hold; it goes to the reject store. */
export class MalformedResultError extends ProjectorError {
  public override readonly name = 'MalformedResultError';
  public constructor(
    public readonly problem: string,
    public readonly transactionId: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(`malformed scored result${transactionId === undefined ? '' : ` ${transactionId}`}: ${problem}`, options);
  }
}

/**
 * View items DynamoDB refuses (or would refuse) for a reason retrying will not fix: a key too long,
 * a validation error. The batch fails; the consumer bisects it until the record is alone and hands
 * it to the reject store as `unprojectable`.
 */
export class UnwritableItemsError extends ProjectorError {
  public override readonly name = 'UnwritableItemsError';
  public constructor(
    public readonly transactionIds: readonly string[],
    public readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`view items of ${transactionIds.length} record(s) (first ${transactionIds[0] ?? 'none'}) cannot be written: ${reason}`, options);
  }
}

/** Throttling or transport errors outlasted every retry; the batch is retried by the consumer later. */
export class RetriesExhaustedError extends ProjectorError {
  public override readonly name = 'RetriesExhaustedError';
  public constructor(
    public readonly attempts: number,
    public readonly lastReason: string,
    options?: { cause?: unknown },
  ) {
    super(`view writes still failing after ${attempts} attempt(s): ${lastReason}`, options);
  }
}

/** Writing stopped because the shard's lease was lost or shutdown's deadline passed. */
export class WriteAbortedError extends ProjectorError {
  public override readonly name = 'WriteAbortedError';
  public constructor() {
    super('view write aborted (lease lost or shutting down)');
  }
}
