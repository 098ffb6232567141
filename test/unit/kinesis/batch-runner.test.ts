import { expect } from 'chai';
import type { KinesisRecord } from '../../../shared/kinesis/index.js';
import { runBatch } from '../../../shared/kinesis/batch-runner.js';
import type { BatchRunnerDeps } from '../../../shared/kinesis/batch-runner.js';

function records(n: number): KinesisRecord[] {
  return Array.from({ length: n }, (_, i) => ({ data: Buffer.from(`r${i}`), partitionKey: 'k', sequenceNumber: String(1000 + i), approximateArrivalTimestamp: undefined }));
}

function deps(overrides: Partial<BatchRunnerDeps> & Pick<BatchRunnerDeps, 'process'>): BatchRunnerDeps & { poisoned: string[] } {
  const poisoned: string[] = [];
  return {
    onPoison: async (record) => void poisoned.push(record.sequenceNumber),
    maxRetries: 2,
    backoff: () => 0,
    signal: new AbortController().signal,
    poisoned,
    ...overrides,
  };
}

describe('Function: runBatch', () => {
  it('never sets a record aside as poison when IAM refused the call: the whole batch waits until it is allowed', async () => {
    // Prepare: the handler's AWS call is refused ten times (wrapped, as role code wraps it), then allowed.
    let calls = 0;
    const sizes: number[] = [];
    const d = deps({
      process: async (part) => {
        calls += 1;
        sizes.push(part.length);
        if (calls <= 10) throw new Error('view write failed', { cause: Object.assign(new Error('User: ... is not authorized'), { name: 'AccessDeniedException' }) });
      },
    });

    // Act
    const outcome = await runBatch(records(8), d);

    // Assess
    expect(outcome).to.equal('done');
    expect(d.poisoned).to.deep.equal([]);
    expect(new Set(sizes)).to.deep.equal(new Set([8]));
  });

  it('hands a good batch over once', async () => {
    // Prepare
    const calls: number[] = [];
    const d = deps({ process: async (part) => void calls.push(part.length) });

    // Act
    const outcome = await runBatch(records(8), d);

    // Assess
    expect(outcome).to.equal('done');
    expect(calls).to.deep.equal([8]);
  });

  it('retries a batch that fails for a while, then succeeds', async () => {
    // Prepare
    let calls = 0;
    const d = deps({
      process: async () => {
        calls += 1;
        if (calls < 3) throw new Error('transient');
      },
    });

    // Act
    const outcome = await runBatch(records(4), d);

    // Assess
    expect([outcome, calls, d.poisoned]).to.deep.equal(['done', 3, []]);
  });

  it('bisects a failing batch down to the poison record, keeps record order, and hands every other record over', async () => {
    // Prepare
    const handed: string[] = [];
    const d = deps({
      process: async (part) => {
        if (part.some((r) => r.sequenceNumber === '1005')) throw new Error('poison');
        handed.push(...part.map((r) => r.sequenceNumber));
      },
    });

    // Act
    const outcome = await runBatch(records(16), d);

    // Assess
    expect(outcome).to.equal('done');
    expect(d.poisoned).to.deep.equal(['1005']);
    expect(handed).to.deep.equal(records(16).map((r) => r.sequenceNumber).filter((s) => s !== '1005'));
  });

  it('gives a record alone its full retries before calling it poison', async () => {
    // Prepare
    const alone: number[] = [];
    const d = deps({
      process: async (part, attempt) => {
        if (part.length === 1) alone.push(attempt);
        throw new Error('always');
      },
      onPoison: async (_record, _error, attempts) => void alone.push(-attempts),
    });

    // Act
    await runBatch(records(1), d);

    // Assess
    expect(alone).to.deep.equal([1, 2, 3, -3]);
  });

  it('keeps calling a failing poison handler until it succeeds', async () => {
    // Prepare
    let handlerCalls = 0;
    const d = deps({
      process: async () => {
        throw new Error('bad');
      },
      onPoison: async () => {
        handlerCalls += 1;
        if (handlerCalls < 3) throw new Error('reject store down');
      },
    });

    // Act
    const outcome = await runBatch(records(1), d);

    // Assess
    expect([outcome, handlerCalls]).to.deep.equal(['done', 3]);
  });

  it('stops as aborted when its signal aborts, leaving the batch not done', async () => {
    // Prepare
    const controller = new AbortController();
    const d = deps({
      signal: controller.signal,
      process: async () => {
        controller.abort();
        throw new Error('fails while shutting down');
      },
    });

    // Act
    const outcome = await runBatch(records(4), d);

    // Assess
    expect(outcome).to.equal('aborted');
    expect(d.poisoned).to.deep.equal([]);
  });
});
