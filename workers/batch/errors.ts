import { optionErrorOf } from '../../shared/errors.js';
import { WorkerError } from '../errors.js';

/** Base of every batch job failure. */
export class BatchError extends WorkerError {
  public override readonly name: string = 'BatchError';
}

/** An option the batch job cannot run with; names the option. */
export class BatchOptionError extends optionErrorOf(BatchError, 'batch') {
  public override readonly name = 'BatchOptionError';
}

/** The enriched output could not be read or written; the run stops before marking objects done. */
export class PartitionWriteError extends BatchError {
  public override readonly name = 'PartitionWriteError';
  public constructor(
    public readonly partition: string,
    options?: { cause?: unknown },
  ) {
    super(`could not rewrite partition ${partition}`, options);
  }
}

/** The merchant reference data shipped with the job is missing or malformed. */
export class ReferenceDataError extends BatchError {
  public override readonly name = 'ReferenceDataError';
}

/** Another batch run holds the run lock; two runs rewriting one partition would lose rows. */
export class BatchLockedError extends BatchError {
  public override readonly name = 'BatchLockedError';
  public constructor(
    public readonly holder: string,
    public readonly expiresAt: string,
  ) {
    super(`another batch run (${holder}) holds the lock until ${expiresAt}; try again later`);
  }
}
