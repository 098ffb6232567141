/**
 * `npm run bench [-- --quick] [--out DIR] [--shards N] [--cpu-prof DIR]`: the ceilings of each stage and the
 * pipeline against them, in one run on the embedded environment. Prints a table and writes
 * `<timestamp>.json`, `<timestamp>.md` and two SVG charts to bench/results (or DIR).
 */
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { runProgram, wholeNumber } from '../shared/command-line/index.js';
import { runApiBench } from './api.js';
import { figuresTable } from './report/table.js';
import { runBench } from './run-bench.js';

const here = dirname(fileURLToPath(import.meta.url));

async function bench(flags: { quick?: boolean; out: string; shards: number; cpuProf?: string; only?: string }): Promise<void> {
  const started = performance.now();
  if (flags.only !== undefined) {
    // One phase alone, on an environment of its own (the api helper's read path, bench/api.ts).
    if (flags.only !== 'api') throw new Error(`--only takes api, got '${flags.only}'`);
    await runApiBench({ quick: flags.quick === true });
    return;
  }
  if (flags.cpuProf !== undefined) {
    // Node refuses --cpu-prof in NODE_OPTIONS: each worker (they inherit this environment) loads a
    // preload that profiles it through the inspector and writes <role>-<pid>.cpuprofile as it exits.
    process.env['NODE_OPTIONS'] = `${process.env['NODE_OPTIONS'] ?? ''} --import=${pathToFileURL(join(here, 'profile', 'preload.mjs')).href}`.trim();
    process.env['BENCH_CPU_PROF_DIR'] = resolve(flags.cpuProf);
  }
  const log = (message: string): void => console.error(`${((performance.now() - started) / 1000).toFixed(1).padStart(6)}s  ${message}`);
  const result = await runBench({ quick: flags.quick === true, outDir: flags.out, shards: flags.shards, onStep: log });
  const m = result.machine;
  console.log(`\nrealtime-insights benchmark (${result.mode}), ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}, load ${m.loadAverage}\n`);
  console.log(figuresTable(result.figures));
  const relativeOut = relative(process.cwd(), result.outDir);
  const where = relativeOut === '' ? '.' : relativeOut;
  console.log(`\nwrote ${join(where, result.files.json)}, ${join(where, result.files.report)} and its two SVG charts (${Math.round(result.durationMs / 1000)} s)`);
  if (result.pipeline.lost > 0 || result.pipeline.doubleCounted > 0) {
    console.error(`warning: the pipeline lost ${result.pipeline.lost} and double-counted ${result.pipeline.doubleCounted} during the benchmark`);
  }
}

await runProgram(
  new Command('bench')
    .description('measure each stage\'s ceiling and the pipeline against it on the embedded environment; see bench/README.md')
    .option('--quick', "CI's smoke run (under two minutes on 2 cores)")
    .option('--out <dir>', 'where the JSON, Markdown and SVG results go', join(here, 'results'))
    .option('--shards <n>', 'shards per stream in the pipeline run', wholeNumber(1), 1)
    .option('--cpu-prof <dir>', 'profile every worker process; read each with bench/profile/summary.ts')
    .option('--only <phase>', 'run one phase alone: api (the read path under concurrent users beside bare DynamoDB Queries)')
    .action(bench),
  { invokedAs: 'npm run bench --' },
);
