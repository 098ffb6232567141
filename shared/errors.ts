/**
 * Errors shared by every room. Each carries the context a caller needs to act on it, and accepts
 * `{ cause }` so the original failure is never lost.
 */
export class InsightsError extends Error {
  public override readonly name: string = 'InsightsError';
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** One problem with one configuration key (an environment variable or a stack setting). */
export interface ConfigIssue {
  readonly key: string;
  readonly problem: string;
}

/** Configuration that cannot be used; names every key that is missing or malformed. */
export class ConfigError extends InsightsError {
  public override readonly name = 'ConfigError';
  public readonly issues: readonly ConfigIssue[];
  public constructor(subject: string, issues: readonly ConfigIssue[], options?: { cause?: unknown }) {
    super(`${subject}: ${issues.map((i) => `${i.key} ${i.problem}`).join('; ')}`, options);
    this.issues = issues;
  }
}

/** A record that breaks the contract; `code` is a stable reject reason (see `RejectCode`). */
export class ValidationError extends InsightsError {
  public override readonly name = 'ValidationError';
  public readonly code: string;
  public readonly field: string | undefined;
  public constructor(code: string, message: string, field?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.field = field;
  }
}

/** A logical resource name the catalog does not know. */
export class UnknownResourceError extends InsightsError {
  public override readonly name = 'UnknownResourceError';
  public constructor(
    public readonly kind: string,
    public readonly logicalName: string,
  ) {
    super(`unknown ${kind} '${logicalName}' in the resource catalog`);
  }
}

/** What every option error carries: the option a caller must change and what is wrong with it. */
export interface OptionProblem {
  /** The option's name as the caller wrote it (`concurrency`, `--rate`). */
  readonly option: string;
  readonly problem: string;
}

/** A room's base error class: what `optionErrorOf` extends. */
export type ErrorClass<E extends InsightsError> = abstract new (message: string, options?: { cause?: unknown }) => E;

/**
 * The option error of one component, as a subclass of its own base error, so `instanceof` on the
 * base still catches it and every component words the message the same way:
 * `<component> option '<option>' <problem>`.
 *
 * @example
 * export class ScorerOptionError extends optionErrorOf(ScorerError, 'scorer') {
 *   public override readonly name = 'ScorerOptionError';
 * }
 * throw new ScorerOptionError('concurrency', 'must be a positive integer, got 0');
 * // ScorerOptionError: scorer option 'concurrency' must be a positive integer, got 0
 */
export function optionErrorOf<E extends InsightsError>(base: ErrorClass<E>, component: string): abstract new (option: string, problem: string) => E & OptionProblem {
  // A mixin: the base is only known at run time, so its constructor is called through a plain signature.
  const Base = base as unknown as abstract new (message: string) => InsightsError;
  abstract class OptionError extends Base implements OptionProblem {
    public constructor(
      public readonly option: string,
      public readonly problem: string,
    ) {
      super(`${component} option '${option}' ${problem}`);
    }
  }
  return OptionError as unknown as abstract new (option: string, problem: string) => E & OptionProblem;
}
