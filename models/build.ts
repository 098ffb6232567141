/**
 * `npm run models:build`: regenerates the synthetic data, trains both models, exports them to
 * ONNX and rewrites models/manifest.json. Options: `--out DIR` (default: this folder) and
 * `--count N`, `--users N`, `--seed N` to try other sizes (the committed models use the defaults).
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildModels } from './training/build-models.js';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    count: { type: 'string' },
    users: { type: 'string' },
    seed: { type: 'string' },
  },
});

const integer = (name: string, text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value)) throw new RangeError(`--${name} must be an integer, got '${text}'`);
  return value;
};

const outDir = values.out ?? dirname(fileURLToPath(import.meta.url));
const result = await buildModels({
  outDir,
  count: integer('count', values.count),
  users: integer('users', values.users),
  seed: integer('seed', values.seed),
  log: (line) => console.log(line),
});

const { categoriser, anomaly } = result.manifest.models;
console.log('');
console.log(`categoriser ${categoriser.version}: accuracy ${categoriser.metrics.accuracy.toFixed(4)} (bar 0.90), macro F1 ${categoriser.metrics.macroF1.toFixed(4)} (bar 0.85)`);
console.log(`  F1 by class: ${Object.entries(categoriser.metrics.f1ByClass).map(([name, f1]) => `${name} ${f1.toFixed(3)}`).join(', ')}`);
console.log(`anomaly ${anomaly.version}: ROC AUC ${anomaly.metrics.rocAuc.toFixed(4)} (bar 0.90), threshold ${anomaly.threshold}, precision ${anomaly.metrics.precision.toFixed(4)}, recall ${anomaly.metrics.recall.toFixed(4)}`);
for (const path of result.files) console.log(`wrote ${path}`);
