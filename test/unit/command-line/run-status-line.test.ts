import { expect } from 'chai';
import { statusLine } from '../../../cli/commands/run-status-line.js';
import type { RunProgress } from '../../../local/runner/run-local.js';

const progress = (elapsedMs: number, inView: number, inViewEstimate: number): RunProgress => ({
  elapsedMs,
  served: 2_000,
  rejected: 0,
  queue: { waiting: 1, active: 1, completed: 0, failed: 0 },
  inView,
  inViewEstimate,
  expected: 20_000,
});

describe('Function: statusLine', () => {
  it('shows the projectors’ count between reads of the view, marked ~, and takes the rate from the same count', () => {
    // Prepare: no read of the view yet (exact 0), the projectors have written 100 and then 1,100.
    const line = statusLine();

    // Act
    line(progress(1_000, 0, 100));
    const estimated = line(progress(2_000, 0, 1_100));
    const exact = line(progress(3_000, 2_100, 2_100));

    // Assess
    expect(estimated).to.contain('in view ~1100/20000 (1000/s)');
    expect(exact).to.contain('in view 2100/20000 (1000/s)');
  });
});
