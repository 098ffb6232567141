import { WorkerError } from '../errors.js';

/** Base of every read-path failure. */
export class ApiError extends WorkerError {
  public override readonly name: string = 'ApiError';
}

/** A request the read path cannot answer as asked (HTTP 400); names the parameter. */
export class InvalidRequestError extends ApiError {
  public override readonly name = 'InvalidRequestError';
  public constructor(
    public readonly parameter: string,
    public readonly problem: string,
  ) {
    super(`${parameter} ${problem}`);
  }
}
