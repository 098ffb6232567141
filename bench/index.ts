/**
 * `npm run bench [-- --quick] [--out DIR] [--shards N]`: the ceilings of each stage and the
 * pipeline against them, in one run on the embedded environment. Prints a table and writes
 * `<timestamp>.json`, `<timestamp>.md` and two SVG charts to bench/results (or DIR).
 */
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { figuresTable } from './report/table.js';
import { runBench } from './run-bench.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: join(here, 'results') },
    shards: { type: 'string', default: '1' },
  },
});
const shards = Number(values.shards);
if (!Number.isInteger(shards) || shards < 1) {
  console.error(`--shards must be a whole number >= 1, got '${values.shards}'`);
  process.exit(2);
}

const started = performance.now();
const log = (message: string): void => console.error(`${((performance.now() - started) / 1000).toFixed(1).padStart(6)}s  ${message}`);
try {
  const result = await runBench({ quick: values.quick, outDir: values.out, shards, onStep: log });
  const m = result.machine;
  console.log(`\nrealtime-insights benchmark (${result.mode}), ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}, load ${m.loadAverage}\n`);
  console.log(figuresTable(result.figures));
  const relativeOut = relative(process.cwd(), result.outDir);
  const where = relativeOut === '' ? '.' : relativeOut;
  console.log(`\nwrote ${join(where, result.files.json)}, ${join(where, result.files.report)} and its two SVG charts (${Math.round(result.durationMs / 1000)} s)`);
  if (result.pipeline.lost > 0 || result.pipeline.doubleCounted > 0) {
    console.error(`warning: the pipeline lost ${result.pipeline.lost} and double-counted ${result.pipeline.doubleCounted} during the benchmark`);
  }
} catch (error) {
  console.error(`bench failed: ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 1;
}
