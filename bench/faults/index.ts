/**
 * `npm run faults [-- --json FILE] [--grep TEXT]`: runs the fault suite (test/faults/*.test.ts,
 * the same scenarios `npm test` runs) with mocha, collects one row per scenario and prints them
 * as one table: scenario, sent, in view, rejected, lost, double-counted, recovery time.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { runProgram } from '../../shared/command-line/index.js';
import { FAULTS_REPORT_ENV, scenarioTable } from '../../local/faults/report.js';
import type { ScenarioRow } from '../../local/faults/report.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);

async function faults(flags: { json?: string; grep?: string }): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'insights-faults-report-'));
  const reportFile = join(dir, 'rows.ndjson');
  const started = performance.now();
  const mocha = require.resolve('mocha/bin/mocha.js');
  const args = [mocha, 'test/faults/**/*.test.ts', ...(flags.grep === undefined ? [] : ['--grep', flags.grep])];
  let code: number;
  let rows: ScenarioRow[];
  try {
    code = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, [FAULTS_REPORT_ENV]: reportFile } });
      child.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal === null ? 1 : 128)));
    });
    rows = existsSync(reportFile)
      ? readFileSync(reportFile, 'utf8')
          .split('\n')
          .filter((line) => line.trim() !== '')
          .map((line) => JSON.parse(line) as ScenarioRow)
      : [];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const seconds = Math.round((performance.now() - started) / 1000);

  console.log(`\nfault suite: ${rows.length} scenario(s) measured in ${seconds} s${code === 0 ? '' : ` (mocha exit code ${code}: see the failures above)`}\n`);
  if (rows.length > 0) console.log(scenarioTable(rows));
  const bad = rows.filter((r) => r.lost !== 0 || r.doubleCounted !== 0);
  if (bad.length > 0) console.log(`\nlost or double-counted in: ${bad.map((r) => r.scenario).join(', ')}`);
  if (flags.json !== undefined) {
    writeFileSync(flags.json, `${JSON.stringify({ finishedAt: new Date().toISOString(), seconds, passed: code === 0, scenarios: rows }, null, 2)}\n`);
    console.log(`\nwrote ${flags.json}`);
  }
  process.exitCode = code;
}

await runProgram(
  new Command('faults')
    .description('run the fault suite (test/faults, also part of npm test) and print one row per scenario')
    .option('--json <file>', 'also write the rows as JSON to this file')
    .option('--grep <text>', 'only the scenarios whose title contains this')
    .action(faults),
  { invokedAs: 'npm run faults --' },
);
