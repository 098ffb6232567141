import { InsightsError } from '../errors.js';

/**
 * A command line that cannot work, found after parsing (options that must come together, an
 * argument that names nothing): exits 2 with the command's usage line, like a parse error.
 */
export class UsageError extends InsightsError {
  public override readonly name = 'UsageError';
}

/**
 * The user stopped the command (Ctrl-C, SIGTERM). The message says what was done before that;
 * exits 130 and is never reported as a failure of the work itself.
 */
export class InterruptedError extends InsightsError {
  public override readonly name = 'InterruptedError';
  public constructor(
    message: string,
    public readonly signal: NodeJS.Signals = 'SIGINT',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The reason an `AbortSignal` from `watchInterrupts` carries; lets a catch tell an interrupt from a failure. */
export function isInterrupt(error: unknown): error is InterruptedError {
  return error instanceof InterruptedError;
}
