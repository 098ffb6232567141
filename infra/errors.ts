import { InsightsError } from '../shared/errors.js';

export { ConfigError } from '../shared/errors.js';
export type { ConfigIssue } from '../shared/errors.js';

/** A component was given arguments that cannot work together; the message says what to change. */
export class ComponentArgsError extends InsightsError {
  public override readonly name = 'ComponentArgsError';
  public constructor(
    public readonly component: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${component}: ${message}`, options);
  }
}

/** A stack file (Pulumi.<stack>.yaml) is missing or cannot be read. */
export class StackFileError extends InsightsError {
  public override readonly name = 'StackFileError';
  public constructor(
    public readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${message}`, options);
  }
}
