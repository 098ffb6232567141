import { expect } from 'chai';
import { InsightsError, optionErrorOf } from '../../../shared/errors.js';

class ThingError extends InsightsError {
  public override readonly name: string = 'ThingError';
}

class ThingOptionError extends optionErrorOf(ThingError, 'thing') {
  public override readonly name = 'ThingOptionError';
}

describe('Function: optionErrorOf', function () {
  it('makes an error of the component that names the option and the problem', function () {
    // Prepare
    const error = new ThingOptionError('limit', 'must be a positive integer, got 0');

    // Act
    const thrown = (): never => {
      throw error;
    };

    // Assess
    expect(thrown).to.throw(ThingError, "thing option 'limit' must be a positive integer, got 0");
    expect(error).to.be.instanceOf(ThingOptionError).and.instanceOf(InsightsError);
    expect(error.name).to.equal('ThingOptionError');
    expect(error.option).to.equal('limit');
    expect(error.problem).to.equal('must be a positive integer, got 0');
    expect(String(error)).to.equal("ThingOptionError: thing option 'limit' must be a positive integer, got 0");
  });

  it('keeps option errors of two components apart', function () {
    // Prepare
    class OtherError extends InsightsError {}
    class OtherOptionError extends optionErrorOf(OtherError, 'other') {}

    // Act
    const error = new OtherOptionError('x', 'is wrong');

    // Assess
    expect(error).to.be.instanceOf(OtherError);
    expect(error).not.to.be.instanceOf(ThingError);
    expect(error.message).to.equal("other option 'x' is wrong");
  });
});
