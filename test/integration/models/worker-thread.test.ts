import { expect } from 'chai';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { TransactionScorer } from '../../../models/index.js';
import type { TransactionScore } from '../../../models/index.js';
import { trainingTransactions } from '../../unit/models/helpers.js';

interface WorkerReply {
  readonly scores: TransactionScore[];
  readonly modelIds: Record<string, string>;
}

async function scoreInWorker(batches: unknown[][]): Promise<WorkerReply> {
  const entry = new URL('./fixtures/score-worker.ts', import.meta.url).href;
  const worker = new Worker(new URL('./fixtures/tsx-worker.mjs', import.meta.url), { workerData: { entry, batches } });
  const [reply] = (await once(worker, 'message')) as [WorkerReply];
  await once(worker, 'exit');
  return reply;
}

describe('Class: TransactionScorer (in worker threads)', () => {
  describe('Method: score', () => {
    it('scores inside two worker threads at once exactly as on the main thread', async () => {
      // Prepare
      const transactions = trainingTransactions({ seed: 404, count: 600, users: 30 });
      const batches = [transactions.slice(0, 64), transactions.slice(64, 576), transactions.slice(576)];
      const scorer = await TransactionScorer.create();
      const expected = await scorer.score(transactions);
      await scorer.close();

      // Act
      const [first, second] = await Promise.all([scoreInWorker(batches), scoreInWorker([transactions])]);

      // Assess
      expect(first.scores).to.deep.equal(expected);
      expect(second.scores).to.deep.equal(expected);
      expect(first.modelIds).to.deep.equal(scorer.modelIds);
    });
  });
});
