import { ExitCode } from './exit-code.js';
import { InterruptedError } from './errors.js';

export interface InterruptWatch {
  /** Aborts at the first SIGINT or SIGTERM; its reason is an `InterruptedError`. */
  readonly signal: AbortSignal;
  /** Stops listening (the command finished); safe to call twice. */
  dispose(): void;
}

export interface WatchInterruptsOptions {
  /** Called once, at the first signal (say what is being stopped). */
  readonly onFirst?: (signal: NodeJS.Signals) => void;
}

/**
 * Ctrl-C as people expect it: the first SIGINT (or SIGTERM) asks the command to stop cleanly,
 * through an `AbortSignal` every waiting step listens to; a second SIGINT exits at once with 130
 * (the process's exit hooks still kill every child process group and remove temporary folders).
 */
export function watchInterrupts(options: WatchInterruptsOptions = {}): InterruptWatch {
  const controller = new AbortController();
  const force = (): void => process.exit(ExitCode.Interrupted);
  const first = (signal: NodeJS.Signals) => (): void => {
    if (controller.signal.aborted) return;
    options.onFirst?.(signal);
    controller.abort(new InterruptedError(`interrupted by ${signal}`, signal));
    process.removeListener('SIGINT', onSigint);
    process.removeListener('SIGTERM', onSigterm);
    process.once('SIGINT', force);
    process.once('SIGTERM', force);
  };
  const onSigint = first('SIGINT');
  const onSigterm = first('SIGTERM');
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigterm);
  let disposed = false;
  return {
    signal: controller.signal,
    dispose: () => {
      if (disposed) return;
      disposed = true;
      process.removeListener('SIGINT', onSigint);
      process.removeListener('SIGTERM', onSigterm);
      process.removeListener('SIGINT', force);
      process.removeListener('SIGTERM', force);
    },
  };
}

/** Resolves at the first SIGINT or SIGTERM (a command that runs until stopped). */
export function untilInterrupted(signal: AbortSignal): Promise<NodeJS.Signals> {
  if (signal.aborted) return Promise.resolve(signalOf(signal));
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(signalOf(signal)), { once: true }));
}

function signalOf(signal: AbortSignal): NodeJS.Signals {
  return signal.reason instanceof InterruptedError ? signal.reason.signal : 'SIGINT';
}
