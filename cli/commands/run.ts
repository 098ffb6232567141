import { writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { parseBrokerLine } from '../../shared/schemas/transaction.js';
import { InsightsQuery } from '../../workers/api/insights-query.js';
import { runLocal } from '../../local/runner/run-local.js';
import type { RunSummary } from '../../local/runner/measure.js';
import { Progress } from '../progress.js';
import { addEnvOptions, envOptions } from './local-env.js';
import { formatInsights } from './view.js';
import type { EnvFlags } from './local-env.js';

interface RunFlags extends EnvFlags {
  records: number;
  input?: string;
  json?: string;
  follow?: boolean;
  seed: number;
  readers: number;
  scorers: number;
  projectors: number;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`'${value}' is not a whole number >= 0`);
  return n;
}

function printSummary(summary: RunSummary): void {
  const line = (label: string, value: string | number) => console.log(`  ${label.padEnd(16)} ${value}`);
  console.log('\nRun summary (measured from the view, the reject store and the results stream):');
  line('offered', summary.offered);
  line('accepted', summary.accepted);
  line('rejected', `${summary.rejected} ${JSON.stringify(summary.rejectReasons)}`);
  line('deduplicated', summary.deduplicated);
  line('scored', summary.scored);
  line('in view', summary.inView);
  line('lost', summary.lost);
  line('doubleCounted', summary.doubleCounted);
  line('latency ms', `p50 ${summary.latencyMs.p50}  p95 ${summary.latencyMs.p95}  p99 ${summary.latencyMs.p99}  max ${summary.latencyMs.max}`);
  line('throughput', `${summary.throughputPerSec} records/s`);
  line('duration', `${(summary.durationMs / 1000).toFixed(1)} s`);
}

async function run(flags: RunFlags): Promise<void> {
  const progress = new Progress();
  const abort = new AbortController();
  const onSignal = () => {
    progress.step('stopping (Ctrl-C again to force)');
    abort.abort();
    process.once('SIGINT', () => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let sample: string | undefined;
  const summary = await runLocal({
    env: envOptions(flags, progress),
    broker: flags.input !== undefined ? { input: flags.input, seed: flags.seed } : { records: flags.records, seed: flags.seed },
    workers: { 'stream-reader': flags.readers, scorer: flags.scorers, projector: flags.projectors },
    follow: !!flags.follow,
    signal: abort.signal,
    onStep: (m) => progress.step(m),
    afterDrain: async ({ env, broker }) => {
      // A sample of what the user's app would show: the first user the broker sent a valid line for.
      const userId = broker
        .lines()
        .map((line) => parseBrokerLine(line))
        .find((r) => r.ok)?.transaction.userId;
      if (userId === undefined) return;
      const clients = env.clients();
      try {
        const insights = await new InsightsQuery({ dynamodb: clients.dynamodb, tableName: env.names.tables.view, consistentRead: true }).get({ userId, limit: 5, anomalyLimit: 5 });
        if (insights) sample = formatInsights(insights);
      } finally {
        clients.destroy();
      }
    },
    onProgress: (p) =>
      progress.status(
        `served ${p.served}  rejected ${p.rejected}  queue waiting ${p.queue.waiting} active ${p.queue.active} done ${p.queue.completed}  in view ${p.inView}/${p.expected}`,
      ),
  });
  progress.done();
  if (sample !== undefined) console.log(`\n${sample}`);
  printSummary(summary);
  if (flags.json) writeFileSync(flags.json, `${JSON.stringify(summary, null, 2)}\n`);
  if (summary.lost !== 0 || summary.doubleCounted !== 0) {
    throw new Error(`the run lost ${summary.lost} and double-counted ${summary.doubleCounted}`);
  }
}

export function runCommand(): Command {
  return addEnvOptions(
    new Command('run')
      .description('run the whole pipeline locally: emulators, mock broker and every worker as processes; prints a measured summary')
      .option('--records <n>', 'synthetic transactions to send', positiveInt, 20_000)
      .option('--input <file>', 'serve this NDJSON file instead (broken lines included)')
      .option('--json <file>', 'write the summary as JSON to this file')
      .option('--follow', 'keep running after the source is drained (Ctrl-C stops)')
      .option('--seed <n>', 'seed of the synthetic data', positiveInt, 1)
      .option('--readers <n>', 'stream-reader processes', positiveInt, 1)
      .option('--scorers <n>', 'scorer processes', positiveInt, 1)
      .option('--projectors <n>', 'projector processes', positiveInt, 1),
  ).action((flags) => run(flags));
}
