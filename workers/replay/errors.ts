import { optionErrorOf } from '../../shared/errors.js';
import { WorkerError } from '../errors.js';

/** Base of every replay failure. */
export class ReplayError extends WorkerError {
  public override readonly name: string = 'ReplayError';
}

/** An option or argument replay cannot run with; names it. */
export class ReplayOptionError extends optionErrorOf(ReplayError, 'replay') {
  public override readonly name = 'ReplayOptionError';
}

/** Records Kinesis would not take after the producer's retries; the replay reports them and fails. */
export class ReplayPutError extends ReplayError {
  public override readonly name = 'ReplayPutError';
  public constructor(
    public readonly failed: number,
    options?: { cause?: unknown },
  ) {
    super(`${failed} record(s) could not be put back on the stream`, options);
  }
}
