import { optionErrorOf } from '../../shared/errors.js';
import { WorkerError } from '../errors.js';

/** Base of every stream-reader failure. */
export class StreamReaderError extends WorkerError {
  public override readonly name: string = 'StreamReaderError';
}

/**
 * A scoring job ended failed: the scorer gave up after its attempts (transient failures that did
 * not clear, or a job that kept crashing its scorer). Rejecting the batch with it hands the
 * records back to the shard consumer, which retries, bisects and finally sets a poison record
 * aside, so one failed job cannot hold the shard's checkpoint forever.
 */
export class ScoringJobFailedError extends StreamReaderError {
  public override readonly name = 'ScoringJobFailedError';
  public constructor(
    public readonly jobId: string,
    public readonly failedReason: string,
    options?: { cause?: unknown },
  ) {
    super(`scoring job ${jobId} failed: ${failedReason}`, options);
  }
}

/** The batch was given up because its shard's signal aborted (lease lost, or the close deadline passed). */
export class BatchAbortedError extends StreamReaderError {
  public override readonly name = 'BatchAbortedError';
  public constructor(
    public readonly shardId: string,
    options?: { cause?: unknown },
  ) {
    super(`batch of shard ${shardId} abandoned: the shard's signal aborted`, options);
  }
}

/** The reader was given options it cannot work with; names the option. */
export class ReaderOptionError extends optionErrorOf(StreamReaderError, 'stream-reader') {
  public override readonly name = 'ReaderOptionError';
}
