import { expect } from 'chai';
import { backoffDelay, sleep } from '../../../shared/backoff.js';

describe('Function: backoffDelay', () => {
  it('doubles its ceiling per attempt up to the maximum, with full jitter below it', () => {
    // Prepare
    const policy = { baseMs: 100, maxMs: 1_000 };

    // Act
    const ceilings = [1, 2, 3, 4, 5, 30].map((attempt) => backoffDelay(attempt, policy, () => 0.999999));
    const floors = [1, 5].map((attempt) => backoffDelay(attempt, policy, () => 0));

    // Assess
    expect(ceilings).to.deep.equal([99, 199, 399, 799, 999, 999]);
    expect(floors).to.deep.equal([0, 0]);
  });
});

describe('Function: sleep', () => {
  it('ends early when its signal aborts, without rejecting', async () => {
    // Prepare
    const controller = new AbortController();
    const started = Date.now();

    // Act
    const slept = sleep(10_000, controller.signal);
    controller.abort();
    await slept;

    // Assess
    expect(Date.now() - started).to.be.lessThan(5_000);
  });
});
