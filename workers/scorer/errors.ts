import { optionErrorOf } from '../../shared/errors.js';
import { WorkerError } from '../errors.js';

/** Base of every scorer failure. */
export class ScorerError extends WorkerError {
  public override readonly name: string = 'ScorerError';
}

/** The scorer was given options it cannot work with; names the option. */
export class ScorerOptionError extends optionErrorOf(ScorerError, 'scorer') {
  public override readonly name = 'ScorerOptionError';
}

/** An inference thread could not load the models at start-up (a missing, tampered or corrupt model): fatal. */
export class InferenceStartError extends ScorerError {
  public override readonly name = 'InferenceStartError';
  public constructor(
    public readonly threadIndex: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`inference thread ${threadIndex} could not start: ${message}`, options);
  }
}

/**
 * A batch could not be run: its thread died or the pool is closing. Transient: the job is retried
 * (a dead thread is replaced).
 */
export class InferenceUnavailableError extends ScorerError {
  public override readonly name = 'InferenceUnavailableError';
}

/** Inference itself threw for a whole batch (not one record): transient from the job's point of view. */
export class InferenceFailedError extends ScorerError {
  public override readonly name = 'InferenceFailedError';
}

/** Some results or rejects of a job could not be written after the producer's own retries; the job is retried. */
export class ScoringWriteError extends ScorerError {
  public override readonly name = 'ScoringWriteError';
  public constructor(
    public readonly jobId: string,
    public readonly failedWrites: number,
    public readonly totalWrites: number,
    options?: { cause?: unknown },
  ) {
    const cause = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super(`job ${jobId}: ${failedWrites} of ${totalWrites} writes failed${cause}`, options);
  }
}
