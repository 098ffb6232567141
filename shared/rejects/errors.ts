import { InsightsError } from '../errors.js';

/** A reject could not be stored; the input is not lost, the caller must retry or fail. */
export class RejectStoreError extends InsightsError {
  public override readonly name = 'RejectStoreError';
  public constructor(
    public readonly rejectId: string,
    options?: { cause?: unknown },
  ) {
    super(`could not store reject ${rejectId}`, options);
  }
}
