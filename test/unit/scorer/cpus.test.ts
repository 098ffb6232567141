import { expect } from 'chai';
import { cgroupCpuQuota, containerCpus, inferenceThreadCount } from '../../../workers/scorer/inference/cpus.js';

/** A fake /sys/fs/cgroup with the given files. */
function files(entries: Record<string, string>): (path: string) => string | undefined {
  return (path) => entries[path];
}

describe('Function: containerCpus', () => {
  it('caps the scheduler parallelism at the cgroup v2 quota, rounded up', () => {
    // Act
    const cpus = containerCpus({ availableParallelism: () => 16, readFile: files({ '/sys/fs/cgroup/cpu.max': '150000 100000\n' }) });

    // Assess
    expect(cpus).to.equal(2);
  });

  it('uses the scheduler parallelism when cgroup v2 says max (no quota)', () => {
    // Act
    const cpus = containerCpus({ availableParallelism: () => 6, readFile: files({ '/sys/fs/cgroup/cpu.max': 'max 100000' }) });

    // Assess
    expect(cpus).to.equal(6);
  });

  it('reads the cgroup v1 quota and period when there is no v2 file', () => {
    // Act
    const quota = cgroupCpuQuota(files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '50000', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000' }));
    const cpus = containerCpus({ availableParallelism: () => 4, readFile: files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '50000', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000' }) });

    // Assess
    expect(quota).to.equal(0.5);
    expect(cpus).to.equal(1);
  });

  it('ignores a v1 quota of -1 and files that are absent', () => {
    // Act
    const unlimited = containerCpus({ availableParallelism: () => 3, readFile: files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000' }) });
    const none = containerCpus({ availableParallelism: () => 3, readFile: files({}) });

    // Assess
    expect(unlimited).to.equal(3);
    expect(none).to.equal(3);
  });
});

describe('Function: inferenceThreadCount', () => {
  it('takes a positive INFERENCE_THREADS as given and 0 as one per container CPU', () => {
    // Prepare
    const probe = { availableParallelism: () => 8, readFile: files({ '/sys/fs/cgroup/cpu.max': '200000 100000' }) };

    // Act
    const configured = inferenceThreadCount(3, probe);
    const automatic = inferenceThreadCount(0, probe);

    // Assess
    expect(configured).to.equal(3);
    expect(automatic).to.equal(2);
  });
});
