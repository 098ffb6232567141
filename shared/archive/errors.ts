import { InsightsError } from '../errors.js';

/** An archive object that cannot be read as GZIP NDJSON: the batch job quarantines it, replay skips it; neither retries. */
export class CorruptObjectError extends InsightsError {
  public override readonly name = 'CorruptObjectError';
  public constructor(
    public readonly objectKey: string,
    /** A stable reason code (see `QuarantineReason`). */
    public readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`archive object ${objectKey} is unusable (${reason}): ${message}`, options);
  }
}
