import { InsightsError } from '../../shared/errors.js';

/** The development issuer's key file cannot be read, written or used. */
export class DevIssuerKeyError extends InsightsError {
  public override readonly name = 'DevIssuerKeyError';
  public constructor(
    public readonly file: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`development issuer keys in ${file} ${problem}`, options);
  }
}
