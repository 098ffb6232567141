import { expect } from 'chai';
import { WORKER_ROLES } from '../../../shared/worker-env.js';
import { SCORER_DEFAULT_TASK_MEMORY_MIB, SCORER_MAX_OLD_SPACE_MIB, scorerOldSpaceMiB, workerNodeOptions } from '../../../shared/worker-node-options.js';

describe('Module: worker-node-options', () => {
  describe('Function: scorerOldSpaceMiB', () => {
    it('is the most old space the scorer gets, or half of a task with less memory than twice that', () => {
      // Act
      const sizes = [1024, 2048, 4096, 30720].map((memory) => scorerOldSpaceMiB(memory));

      // Assess
      expect(SCORER_MAX_OLD_SPACE_MIB).to.equal(1024);
      expect(sizes).to.deep.equal([512, 1024, 1024, 1024]);
    });

    it('refuses a task memory that is not a whole number of MiB, naming it', () => {
      // Act
      const attempts = [0, 1, 1.5, Number.NaN].map((memory) => () => scorerOldSpaceMiB(memory));

      // Assess
      for (const attempt of attempts) expect(attempt).to.throw(RangeError, /taskMemoryMiB/);
    });
  });

  describe('Function: workerNodeOptions', () => {
    it("caps the scorer's old space for a default-sized task when given no task, so the heap does not follow the host's memory", () => {
      // Act
      const local = workerNodeOptions('scorer');
      const dev = workerNodeOptions('scorer', { taskMemoryMiB: 1024 });

      // Assess
      expect(local).to.deep.equal([`--max-old-space-size=${scorerOldSpaceMiB(SCORER_DEFAULT_TASK_MEMORY_MIB)}`]);
      expect(dev).to.deep.equal(['--max-old-space-size=512']);
    });

    it('gives every other role no node options', () => {
      // Act
      const others = WORKER_ROLES.filter((role) => role !== 'scorer').map((role) => workerNodeOptions(role, { taskMemoryMiB: 512 }));

      // Assess
      expect(others.flat()).to.deep.equal([]);
    });
  });
});
