import { InsightsError } from '../../shared/errors.js';

/** Base of every failure to bring the local environment up or down. */
export class LocalEnvError extends InsightsError {
  public override readonly name: string = 'LocalEnvError';
}

/** A port the environment was told to use is taken by another process. */
export class PortInUseError extends LocalEnvError {
  public override readonly name = 'PortInUseError';
  public constructor(
    public readonly service: string,
    public readonly port: number,
  ) {
    super(`port 127.0.0.1:${port} for ${service} is already in use; free it or pick another port`);
  }
}

/** A program the environment needs is not installed. */
export class MissingProgramError extends LocalEnvError {
  public override readonly name = 'MissingProgramError';
  public constructor(
    public readonly program: string,
    hint: string,
  ) {
    super(`${program} was not found on PATH: ${hint}`);
  }
}

/** A service did not start, or did not answer in time; `output` is the tail of what it printed. */
export class ServiceStartError extends LocalEnvError {
  public override readonly name = 'ServiceStartError';
  public constructor(
    public readonly service: string,
    reason: string,
    public readonly output: string,
    options?: { cause?: unknown },
  ) {
    super(`${service} did not start: ${reason}${output ? `\n--- last output of ${service} ---\n${output}` : ''}`, options);
  }
}

/** The fronts refused calls of a run: a grant is missing from the IAM contract, or code calls what its role must not. */
export class CallsDeniedError extends LocalEnvError {
  public override readonly name = 'CallsDeniedError';
  public constructor(
    public readonly stackName: string,
    public readonly denials: readonly { readonly message: string; readonly role?: string | undefined; readonly operation: string }[],
  ) {
    super(
      `${denials.length} AWS call(s) of stack '${stackName}' were denied (grant it in shared/iam/grants.ts if the role needs it):\n` +
        denials.map((d) => `  ${d.role ?? 'unknown key'} ${d.operation}: ${d.message}`).join('\n'),
    );
  }
}
