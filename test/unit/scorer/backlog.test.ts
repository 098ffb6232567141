import { expect } from 'chai';
import { BACKLOG_STATES, scoringBacklog } from '../../../workers/scorer/backlog.js';

describe('Function: scoringBacklog', () => {
  it('adds waiting, prioritized, delayed and active jobs', async () => {
    // Prepare
    const counts: Record<string, number> = { waiting: 5, prioritized: 1, delayed: 2, active: 3, completed: 100, failed: 9 };
    const queue = { getJobCounts: async (...types: string[]) => Object.fromEntries(types.map((t) => [t, counts[t] ?? 0])) };

    // Act
    const backlog = await scoringBacklog(queue);

    // Assess
    expect(BACKLOG_STATES).to.not.include('completed');
    expect(backlog).to.equal(11);
  });
});
