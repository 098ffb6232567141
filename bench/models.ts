/**
 * Rows per second through each step of scoring, on the committed models and synthetic
 * transactions: featurisation (each model's rows, then both as the scorer does), onnxruntime-node
 * `session.run` per model with one intra-op thread and with onnxruntime's default (one per core),
 * and the scorer end to end (featurise both + one run per model), at batch sizes 1, 64, 512, 4096.
 *
 *   node --import=tsx bench/models.ts [--seconds 0.4] [--repeats 3] [--json FILE]
 *
 * Each cell runs batches until `--seconds` have passed (after one warm-up batch), `--repeats`
 * times, and reports the best rows per second: on a machine shared with other work the best
 * window is the closest to the uncontended figure. One thread drives everything.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Tensor } from 'onnxruntime-node';
import type { InferenceSession } from 'onnxruntime-node';
import { normaliseBrokerTransaction } from '../shared/schemas/transaction.js';
import type { Transaction } from '../shared/schemas/transaction.js';
import { ModelSet, TransactionScorer } from '../models/index.js';
import type { ModelName } from '../models/index.js';
import { generateTransactions } from '../models/synthetic/index.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '0.4' },
    repeats: { type: 'string', default: '3' },
    json: { type: 'string' },
  },
});
const SECONDS = Number(values.seconds);
const REPEATS = Number(values.repeats);
const BATCH_SIZES = [1, 64, 512, 4096] as const;
// 0 asks onnxruntime for its default: one intra-op thread per core.
const THREAD_SETTINGS = [
  { label: '1 thread', intraOpNumThreads: 1 },
  { label: 'default', intraOpNumThreads: 0 },
] as const;

const POOL = 8192;
const transactions: Transaction[] = generateTransactions({ seed: 77, count: POOL, users: 200, startAt: '2026-01-01T00:00:00Z' }).map((row) =>
  normaliseBrokerTransaction(row.broker, new Date('2100-01-01T00:00:00Z')),
);

/** Batch `i` of `size` rows, cycling through the pool so consecutive batches differ. */
function batchAt(size: number, i: number): Transaction[] {
  const start = (i * size) % (POOL - size + 1);
  return transactions.slice(start, start + size);
}

async function rowsPerSecond(size: number, step: (i: number) => unknown): Promise<number> {
  await step(0);
  const budget = SECONDS * 1000;
  let best = 0;
  let i = 1;
  for (let repeat = 0; repeat < REPEATS; repeat += 1) {
    const started = performance.now();
    let batches = 0;
    while (performance.now() - started < budget) {
      await step(i);
      i += 1;
      batches += 1;
    }
    best = Math.max(best, (batches * size) / ((performance.now() - started) / 1000));
  }
  return best;
}

interface Row {
  readonly step: string;
  readonly rowsPerSecond: Record<number, number>;
}

const rows: Row[] = [];
async function measure(step: string, run: (size: number) => (i: number) => unknown): Promise<void> {
  const rates: Record<number, number> = {};
  for (const size of BATCH_SIZES) rates[size] = await rowsPerSecond(size, run(size));
  rows.push({ step, rowsPerSecond: rates });
  process.stderr.write(`measured ${step}\n`);
}

const models = await ModelSet.load({ intraOpNumThreads: 1 });
const { featuriser } = models;

// Featurisation, as the scorer calls it: into a buffer reused from batch to batch.
const buffers = (width: number): Map<number, Float32Array> => new Map(BATCH_SIZES.map((size) => [size, new Float32Array(size * width)]));
const categoriserBuffers = buffers(featuriser.categoriser.width);
const anomalyBuffers = buffers(featuriser.anomaly.width);
await measure('featurise: categoriser', (size) => (i) => featuriser.categoriser.featurise(batchAt(size, i), categoriserBuffers.get(size)));
await measure('featurise: anomaly', (size) => (i) => featuriser.anomaly.featurise(batchAt(size, i), anomalyBuffers.get(size)));
await measure('featurise: both', (size) => (i) => {
  const batch = batchAt(size, i);
  featuriser.categoriser.featurise(batch, categoriserBuffers.get(size));
  featuriser.anomaly.featurise(batch, anomalyBuffers.get(size));
});
await models.close();

// onnxruntime alone, on rows featurised beforehand.
for (const setting of THREAD_SETTINGS) {
  const set = await ModelSet.load({ intraOpNumThreads: setting.intraOpNumThreads });
  for (const name of ['categoriser', 'anomaly'] as const satisfies readonly ModelName[]) {
    const block = set.featuriser[name];
    const entry = set.manifest.models[name];
    const session: InferenceSession = set.sessions[name];
    const inputs = new Map<number, Tensor>();
    for (const size of BATCH_SIZES) inputs.set(size, new Tensor('float32', block.featurise(batchAt(size, 0)), [size, block.width]));
    await measure(`onnxruntime: ${name}, ${setting.label}`, (size) => () => session.run({ [entry.inputs[0]?.name ?? '']: inputs.get(size) as Tensor }));
  }
  await set.close();
}

// The scorer end to end.
for (const setting of THREAD_SETTINGS) {
  const scorer = await TransactionScorer.create({ intraOpNumThreads: setting.intraOpNumThreads });
  await measure(`scorer.score (both models), ${setting.label}`, (size) => (i) => scorer.score(batchAt(size, i)));
  await scorer.close();
}

const format = (value: number): string => Math.round(value).toLocaleString('en-US');
const widths = [Math.max(...rows.map((row) => row.step.length)), ...BATCH_SIZES.map(() => 12)];
const line = (cells: string[]): string => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[0] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
console.log(`rows per second (best of ${REPEATS} × ${SECONDS}s), ${availableParallelism()} CPUs, load ${loadavg()[0]?.toFixed(1)}, categoriser ${featuriser.categoriser.width} features, anomaly ${featuriser.anomaly.width}`);
console.log(line(['step \\ batch size', ...BATCH_SIZES.map(String)]));
for (const row of rows) console.log(line([row.step, ...BATCH_SIZES.map((size) => format(row.rowsPerSecond[size] ?? 0))]));

if (values.json) writeFileSync(values.json, `${JSON.stringify({ cpus: availableParallelism(), seconds: SECONDS, repeats: REPEATS, rows }, null, 2)}\n`);
