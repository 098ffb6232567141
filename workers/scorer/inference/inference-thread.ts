import { parentPort, threadId, workerData } from 'node:worker_threads';
import { TransactionScorer } from '../../../models/index.js';
import type { TransactionScore } from '../../../models/index.js';
import { CATEGORIES } from '../../../shared/schemas/categories.js';
import type { Transaction } from '../../../shared/schemas/transaction.js';
import type { BatchScores, FromThread, RecordFailure, ThreadStartData, ToThread } from './messages.js';

/**
 * One inference thread: loads and verifies the models once (one onnxruntime session per model),
 * then featurises and scores each batch it is sent. A batch that fails as a whole is scored again
 * record by record, so only the records that fail alone are reported as failed.
 */

const port = parentPort;
if (port === null) throw new Error('inference-thread must run in a worker thread');
const data = workerData as ThreadStartData;

function post(message: FromThread, transfer: ArrayBuffer[] = []): void {
  (port as NonNullable<typeof parentPort>).postMessage(message, transfer);
}

function pack(results: readonly (TransactionScore | RecordFailure)[], busyMs: number): BatchScores {
  const rows = results.length;
  const categories = CATEGORIES.length;
  const categoryScores = new Float32Array(rows * categories).fill(Number.NaN);
  const categoryIndex = new Uint8Array(rows);
  const anomalyScores = new Float32Array(rows).fill(Number.NaN);
  const isAnomaly = new Uint8Array(rows);
  const failures: RecordFailure[] = [];
  results.forEach((result, row) => {
    if ('message' in result) return void failures.push(result);
    categoryScores.set(result.categoryScores.slice(0, categories), row * categories);
    categoryIndex[row] = CATEGORIES.indexOf(result.category);
    anomalyScores[row] = result.anomalyScore;
    isAnomaly[row] = result.isAnomaly ? 1 : 0;
  });
  return { categoryScores, categories, categoryIndex, anomalyScores, isAnomaly, failures, threadId, busyMs };
}

async function scoreBatch(scorer: TransactionScorer, transactions: readonly Transaction[]): Promise<(TransactionScore | RecordFailure)[]> {
  try {
    return await scorer.score(transactions);
  } catch (batchError) {
    if (transactions.length === 1) return [{ index: 0, message: (batchError as Error).message }];
    // Rare: find the records that fail on their own; the others keep their scores.
    const out: (TransactionScore | RecordFailure)[] = [];
    for (const [index, transaction] of transactions.entries()) {
      try {
        const [score] = await scorer.score([transaction]);
        out.push(score ?? { index, message: 'no score returned' });
      } catch (error) {
        out.push({ index, message: (error as Error).message });
      }
    }
    return out;
  }
}

async function main(): Promise<void> {
  let scorer: TransactionScorer;
  try {
    scorer = await TransactionScorer.create({ dir: data.modelsDir, intraOpNumThreads: data.intraOpNumThreads });
  } catch (error) {
    post({ type: 'start-failed', message: (error as Error).message });
    return;
  }
  port?.on('message', (message: ToThread) => {
    void (async () => {
      const started = performance.now();
      try {
        const scores = pack(await scoreBatch(scorer, message.transactions), 0);
        const result = { ...scores, busyMs: performance.now() - started };
        post({ type: 'scored', id: message.id, ...result }, [result.categoryScores.buffer as ArrayBuffer, result.anomalyScores.buffer as ArrayBuffer, result.categoryIndex.buffer as ArrayBuffer, result.isAnomaly.buffer as ArrayBuffer]);
      } catch (error) {
        post({ type: 'score-failed', id: message.id, message: (error as Error).message });
      }
    })();
  });
  post({ type: 'ready', threadId, versions: { categoriser: scorer.modelIds.categoriser, anomaly: scorer.modelIds.anomaly } });
}

void main();
