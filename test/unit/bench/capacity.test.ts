import { expect } from 'chai';
import { capacityPlan } from '../../../bench/capacity.js';
import type { CapacityInputs } from '../../../bench/capacity.js';

describe('Function: capacityPlan', () => {
  const inputs: CapacityInputs = {
    recordsPerCpuSecond: { crawler: 20_000, 'stream-reader': 20_000, scorer: 10_000, projector: 10_000 },
    taskVcpus: { crawler: 1, 'stream-reader': 1, scorer: 2, projector: 1 },
    rawRecordBytes: 600,
    resultRecordBytes: 700,
    viewWruPerRecord: 1,
    queueCeilingPerSecond: 100_000,
  };

  it('plans the results stream by records when each result is its own record, and by bytes once they are packed', () => {
    // Act
    const [single] = capacityPlan(inputs, [10_000]);
    const [packed] = capacityPlan({ ...inputs, resultsPerRecord: 35 }, [10_000]);

    // Assess: 10,000 records/s need 10 shards' record limits at 80 %; 6.7 MiB/s need 9 shards' byte limits.
    expect(single?.shards.results).to.equal(13);
    expect(packed?.shards.results).to.equal(9);
    expect(packed?.shards.raw).to.equal(single?.shards.raw);
  });
});
