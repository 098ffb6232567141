import { InsightsError } from '../shared/errors.js';

/** Base of every worker failure. */
export class WorkerError extends InsightsError {
  public override readonly name: string = 'WorkerError';
}

/** `workers/main.ts` was given a role it does not know. */
export class UnknownRoleError extends WorkerError {
  public override readonly name = 'UnknownRoleError';
  public constructor(
    public readonly role: string | undefined,
    known: readonly string[],
  ) {
    super(`unknown worker role '${role ?? ''}': pass one of ${known.join(', ')} as the first argument or in WORKER_ROLE`);
  }
}
