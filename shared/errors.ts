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
