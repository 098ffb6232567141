import { InsightsError, optionErrorOf } from '../../shared/errors.js';

/** Base of every failure of the mock data broker. */
export class BrokerError extends InsightsError {
  public override readonly name: string = 'BrokerError';
}

/** An option that cannot be used; names the option and what to change. */
export class BrokerOptionError extends optionErrorOf(BrokerError, 'broker') {
  public override readonly name = 'BrokerOptionError';
}

/** A cursor this broker did not issue (or one past the end of its source). */
export class InvalidCursorError extends BrokerError {
  public override readonly name = 'InvalidCursorError';
  public constructor(
    public readonly cursor: string,
    reason: string,
  ) {
    super(`invalid cursor '${cursor.slice(0, 80)}': ${reason}`);
  }
}
