/**
 * `npm run models:build`: regenerates the synthetic data, trains both models, exports them to
 * ONNX and rewrites models/manifest.json. Options: `--out DIR` (default: this folder) and
 * `--count N`, `--users N`, `--seed N` to try other sizes (the committed models use the defaults).
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { integer, runProgram, wholeNumber } from '../shared/command-line/index.js';
import { buildModels } from './training/build-models.js';

async function build(flags: { out?: string; count?: number; users?: number; seed?: number }): Promise<void> {
  const result = await buildModels({
    outDir: flags.out ?? dirname(fileURLToPath(import.meta.url)),
    count: flags.count,
    users: flags.users,
    seed: flags.seed,
    log: (line) => console.log(line),
  });
  const { categoriser, anomaly } = result.manifest.models;
  console.log('');
  console.log(`categoriser ${categoriser.version}: accuracy ${categoriser.metrics.accuracy.toFixed(4)} (bar 0.90), macro F1 ${categoriser.metrics.macroF1.toFixed(4)} (bar 0.85)`);
  console.log(`  F1 by class: ${Object.entries(categoriser.metrics.f1ByClass).map(([name, f1]) => `${name} ${f1.toFixed(3)}`).join(', ')}`);
  console.log(`anomaly ${anomaly.version}: ROC AUC ${anomaly.metrics.rocAuc.toFixed(4)} (bar 0.90), threshold ${anomaly.threshold}, precision ${anomaly.metrics.precision.toFixed(4)}, recall ${anomaly.metrics.recall.toFixed(4)}`);
  for (const path of result.files) console.log(`wrote ${path}`);
}

await runProgram(
  new Command('models:build')
    .description('generate the synthetic data, train both models, export them to ONNX and rewrite models/manifest.json')
    .option('--out <dir>', 'where the models and manifest go (default: models/)')
    .option('--count <n>', 'synthetic transactions to train on (default: the committed models\' size)', wholeNumber(1))
    .option('--users <n>', 'synthetic account holders', wholeNumber(1))
    .option('--seed <n>', 'seed of the synthetic data', integer)
    .action(build),
  { invokedAs: 'npm run models:build --' },
);
