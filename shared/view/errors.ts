import { InsightsError } from '../errors.js';

/** Base of every failure of the view's item model and read model. */
export class ViewError extends InsightsError {
  public override readonly name: string = 'ViewError';
}

/** An item with the view's keys whose attributes do not make a version: written by something else, or damaged. */
export class CorruptViewItemError extends ViewError {
  public override readonly name = 'CorruptViewItemError';
  public constructor(
    public readonly key: { readonly pk: string; readonly sk: string },
    public readonly problem: string,
  ) {
    super(`view item ${key.pk} / ${key.sk} is not a transaction version: ${problem}`);
  }
}

/** A request the read model cannot answer as asked (HTTP 400 on the API); names the parameter. */
export class InvalidRequestError extends ViewError {
  public override readonly name = 'InvalidRequestError';
  public constructor(
    public readonly parameter: string,
    public readonly problem: string,
  ) {
    super(`${parameter} ${problem}`);
  }
}
