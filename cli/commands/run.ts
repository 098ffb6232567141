import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { InterruptedError, UsageError, integer, watchInterrupts, wholeNumber } from '../../shared/command-line/index.js';
import { devIssuerKeysDir } from '../../local/dev-issuer/index.js';
import { attachKeptEnv, keptProcess, readState, removeState, stateFile, writeState } from '../../local/env/index.js';
import { countInView } from '../../local/runner/measure.js';
import type { WorkerProcess } from '../../local/runner/worker-process.js';
import { parseBrokerLine } from '../../shared/schemas/transaction.js';
import { InsightsQuery } from '../../workers/api/insights-query.js';
import { join } from 'node:path';
import { runAnalytics, startLocalArchiver } from '../../local/archiver/index.js';
import type { AnalyticsSummary, RawArchivers } from '../../local/archiver/index.js';
import { startLocalEnv } from '../../local/env/index.js';
import type { LocalEnv } from '../../local/env/index.js';
import { runLocal } from '../../local/runner/run-local.js';
import { startBroker } from '../../local/broker/index.js';
import type { SyncBrokerHandle } from '../../local/broker/index.js';
import { runSignups } from '../../local/signups/signup-fleet.js';
import type { SignupFigures } from '../../local/signups/signup-progress.js';
import type { RunSummary } from '../../local/runner/measure.js';
import { statusLine } from './run-status-line.js';
import { Progress, output } from '../progress.js';
import { addEnvOptions, envOptions, keptStateOf, liveKeptEnv, startKeptEnv } from './local-env.js';
import { formatInsights } from './view.js';
import type { EnvFlags } from './local-env.js';

interface RunFlags extends EnvFlags {
  records: number;
  input?: string;
  json?: boolean;
  summaryFile?: string;
  follow?: boolean;
  seed: number;
  readers: number;
  scorers: number;
  projectors: number;
  analytics?: boolean;
  keep?: boolean;
  /** Undefined: `DEFAULT_SIGNUPS`, or none with --input (its lines are the whole run). */
  signups?: number;
  history: number;
}

/**
 * Sign-ups a run has unless told otherwise: the first half of the product's promise ("when a new
 * user signs up, or when new transactions come in") shows in every run, beside the live feed.
 * Two histories of 2,400 transactions (24 months of a typical account) add about a quarter to the
 * default run's records.
 */
export const DEFAULT_SIGNUPS = 2;

/** How many users sign up in this run: as asked, else the default, except with --input. */
function signupCount(flags: Pick<RunFlags, 'signups' | 'input'>): number {
  return flags.signups ?? (flags.input === undefined ? DEFAULT_SIGNUPS : 0);
}

function printSummary(summary: RunSummary & { analytics?: AnalyticsSummary; signups?: Pick<SignupFigures, 'count' | 'incomplete' | 'p50Ms' | 'p95Ms'> }): void {
  const line = (label: string, value: string | number) => console.log(`  ${label.padEnd(16)} ${value}`);
  console.log('\nRun summary (measured from the view, the reject store and the results stream):');
  line('offered', summary.offered);
  line('accepted', summary.accepted);
  line('rejected', `${summary.rejected} ${JSON.stringify(summary.rejectReasons)}`);
  line('deduplicated', summary.deduplicated);
  line('scored', summary.scored);
  line('in view', summary.inView);
  line('lost', summary.lost);
  if (summary.notOffered > 0) line('not offered', `${summary.notOffered} (in the view but not from this run's broker; not counted above)`);
  line('reject mismatch', summary.rejectMismatches);
  line('doubleCounted', summary.doubleCounted);
  line('latency ms', `p50 ${summary.latencyMs.p50}  p95 ${summary.latencyMs.p95}  p99 ${summary.latencyMs.p99}  max ${summary.latencyMs.max}`);
  line('throughput', `${summary.throughputPerSec} records/s`);
  line('duration', `${(summary.durationMs / 1000).toFixed(1)} s`);
  if (summary.signups) {
    const su = summary.signups;
    line('sign-ups', `${su.count} whole in the view${su.incomplete > 0 ? ` (${su.incomplete} not)` : ''}; time to insight p50 ${su.p50Ms} ms  p95 ${su.p95Ms} ms (link → whole history in view)`);
  }
  if (summary.analytics) {
    const a = summary.analytics;
    line('analytics', `${a.objects} archive objects, rows in ${a.rowsIn}, rows out ${a.rowsOut} (counted in the Parquet), rejected ${a.rejected}, partitions ${a.partitions}`);
  }
}

/** The sample user: the first one the broker sent a valid line for. */
function sampleUser(lines: readonly string[]): string | undefined {
  return lines.map((line) => parseBrokerLine(line)).find((r) => r.ok)?.transaction.userId;
}

/** A sample of what the user's app would show. */
async function sampleInsights(env: LocalEnv, lines: readonly string[]): Promise<string | undefined> {
  const userId = sampleUser(lines);
  if (userId === undefined) return undefined;
  // What the user's app would show is what the read API may read.
  const clients = env.clientsFor('api');
  try {
    const query = new InsightsQuery({ dynamodb: clients.dynamodb, tableName: env.names.tables.view, consistentRead: true });
    const insights = await query.get({ userId, limit: 5, anomalyLimit: 5 });
    return insights === undefined ? undefined : formatInsights(insights);
  } finally {
    clients.destroy();
  }
}

/**
 * The environment of a run: with --keep, the kept environment of this stack if one runs (attached
 * to), else a new kept one (its supervisor outlives the run, the Firehose stand-in archiving);
 * without, one of the run's own, stopped at its end.
 */
async function environmentFor(flags: RunFlags, progress: Progress, signal: AbortSignal): Promise<{ env: LocalEnv; kept: boolean }> {
  if (flags.keep) {
    let state = await liveKeptEnv(progress);
    if (state !== undefined && state.stack !== flags.stack) {
      throw new UsageError(`a kept environment of stack '${state.stack}' is running; pass --stack ${state.stack} to use it, or stop it with 'insights local env down'`);
    }
    if (state !== undefined) progress.step(`attaching to the kept environment of stack '${state.stack}' (supervisor pid ${state.supervisorPid})`);
    else state = await startKeptEnv({ ...flags, archive: true }, progress, signal);
    return { env: attachKeptEnv(state), kept: true };
  }
  // The environment is started here rather than by runLocal so the Firehose stand-in is reading
  // the raw stream before the first record is put, as Firehose would be in AWS.
  const env = await startLocalEnv({ ...envOptions(flags, progress), signal }).catch((error: unknown) => {
    if (signal.aborted) throw new InterruptedError('during start-up (environment); nothing was sent', (signal.reason as InterruptedError).signal);
    throw error;
  });
  return { env, kept: false };
}

/** `run --follow` names its environment in the state file (unless a kept one already has it), so other shells can reach it. */
async function publishFollowedEnv(env: LocalEnv, progress: Progress): Promise<boolean> {
  const other = await liveKeptEnv(progress);
  if (other !== undefined) {
    progress.step(`not writing ${stateFile()}: it names a kept environment (stack '${other.stack}') that is still running`);
    return false;
  }
  writeState(keptStateOf(env, { keysDir: devIssuerKeysDir(), archiving: false }));
  progress.step(
    `other shells reach this environment through ${stateFile()} ('npx insights view USER_ID'; 'npx insights local env down' stops this run): ` +
      `kinesis ${env.endpoints.kinesis}, dynamodb ${env.endpoints.dynamodb}, s3 ${env.endpoints.s3}, redis ${env.redisUrl}`,
  );
  return true;
}

/** Names the run's workers in the kept environment's state, so `down` stops them too. */
function registerWorkers(workers: readonly WorkerProcess[]): void {
  const state = readState();
  if (state === undefined) return;
  const { runner: _runner, ...rest } = state;
  writeState({
    ...rest,
    workers: workers.filter((w) => w.pid !== undefined).map((w) => keptProcess({ name: w.name, pid: w.pid!, port: undefined })),
    ...(workers.length > 0 ? { runner: keptProcess({ name: 'run', pid: process.pid, port: undefined }) } : {}),
  });
}

/** On a kept environment the view may hold an earlier run: its transactions are the ones the same --seed sends again. */
async function noteExistingData(env: LocalEnv, progress: Progress): Promise<void> {
  const clients = env.clients();
  try {
    const before = await countInView(clients.dynamodb, env.names.tables.view);
    if (before > 0) progress.step(`the view already holds ${before} transactions (an earlier run); lines with the same ids are deduplicated, so pass another --seed for new data`);
  } finally {
    clients.destroy();
  }
}

function printExplore(userId: string | undefined): void {
  console.log('\nThe environment and its data are left running. Explore them from any shell here:');
  if (userId !== undefined) console.log(`  npx insights view ${userId}`);
  console.log('  npx insights batch                    # the archive to enriched Parquet');
  console.log('  npx insights query "SELECT category, count(*) FROM enriched GROUP BY 1"');
  console.log('  npx insights local env down           # stop it all');
}

async function run(flags: RunFlags): Promise<void> {
  // Steps and status go to stderr; with --json, stdout carries the summary alone.
  const progress = new Progress();
  const interrupts = watchInterrupts({ onFirst: (signal) => progress.step(`${signal}: stopping (Ctrl-C again to force)`) });
  const { signal } = interrupts;
  // Worker logs outlive the run (the environment's data folder does not).
  const logDir = join(process.cwd(), '.local', 'logs', new Date().toISOString().replace(/[:.]/g, '-'));
  const { env, kept } = await environmentFor(flags, progress, signal);
  // While this run is up, other shells find it: view, batch, query, replay, token and down.
  const published = !kept && flags.follow ? await publishFollowedEnv(env, progress) : false;
  let archiver: RawArchivers | undefined;
  let sample: string | undefined;
  let sampleUserId: string | undefined;
  let page: { url: string; userId: string } | undefined;
  let analytics: AnalyticsSummary | undefined;
  let signups: SignupFigures | undefined;
  let summary: RunSummary;
  // With --signups the run holds the broker itself: sign-ups link connections on it.
  let syncBroker: SyncBrokerHandle | undefined;
  const status = statusLine();
  try {
    if (flags.analytics) {
      archiver = await startLocalArchiver(env, { bufferIntervalMs: 2_000 });
      progress.step('archiver (the local stand-in for Firehose) copies both lanes\' raw streams to the archive bucket');
    }
    if (kept) await noteExistingData(env, progress);
    const source = flags.input !== undefined ? { input: flags.input, seed: flags.seed } : { records: flags.records, seed: flags.seed };
    const signupsWanted = signupCount(flags);
    if (signupsWanted > 0) syncBroker = await startBroker({ ...source, historySize: flags.history });
    const duringRun = async ({ pipeline }: { pipeline: { workers(): readonly WorkerProcess[] } }): Promise<void> => {
      // With --keep --follow the workers are named in the state file, so `down` stops them even if this process dies.
      if (kept && flags.follow) registerWorkers(pipeline.workers());
      if (syncBroker === undefined) return;
      progress.step(`${signupsWanted} sign-up(s): each links a bank with ${flags.history} transactions of history (webhook role, sync queue, crawler on the sync source; --signups 0 for none)`);
      // The sign-ups' own line, printed when it changes (it is polled every two seconds).
      let lastStatus = '';
      const onStatus = (line: string): void => {
        if (line !== lastStatus) progress.step((lastStatus = line));
      };
      signups = await runSignups({ env, broker: syncBroker, logDir, count: signupsWanted, historySize: flags.history, signal, onStatus });
    };
    summary = await runLocal({
      env,
      logDir,
      ...((kept && flags.follow) || syncBroker !== undefined ? { duringRun } : {}),
      broker: syncBroker ?? source,
      workers: { api: 1, 'stream-reader': flags.readers, scorer: flags.scorers, projector: flags.projectors },
      follow: !!flags.follow,
      signal,
      onStep: (m) => progress.step(m),
      onProgress: (p) => progress.status(status(p)),
      onDrained: async ({ broker, pipeline }) => {
        const userId = sampleUser(broker.lines());
        if (userId === undefined || pipeline.apiUrl === undefined) return;
        // The token rides in the fragment: it never reaches a server log or a Referer header.
        page = { userId, url: `${pipeline.apiUrl}/#token=${await env.issuer.mint(userId)}` };
        if (flags.follow) progress.step(`insights page for ${userId} (up until Ctrl-C; 'npx insights token USER_ID' for others):\n  ${page.url}`);
      },
      afterDrain: async ({ broker }) => {
        sampleUserId = sampleUser(broker.lines());
        sample = await sampleInsights(env, broker.lines());
        if (archiver !== undefined) {
          progress.step('pipeline drained; running the batch job over the raw archive');
          analytics = await runAnalytics(env, { archiver });
        }
      },
    });
  } finally {
    progress.done();
    await archiver?.close();
    await syncBroker?.close();
    if (kept) {
      if (flags.follow) registerWorkers([]);
      progress.step(`workers stopped; the environment of stack '${env.stack}' is left running with its data (stop it with 'insights local env down')`);
    } else {
      if (published) removeState();
      await env.stop();
      progress.step(`stopped ${env.processes.map((p) => p.name).join(', ')}; no process left behind`);
    }
    interrupts.dispose();
  }
  const full = {
    ...summary,
    ...(signups === undefined ? {} : { signups: { count: signups.count, p50Ms: signups.p50Ms, p95Ms: signups.p95Ms, incomplete: signups.incomplete } }),
    ...(analytics === undefined ? {} : { analytics }),
  };
  output(!!flags.json, full, () => {
    if (sample !== undefined) console.log(`\n${sample}`);
    printSummary(full);
    console.log(`  ${'worker logs'.padEnd(16)} ${logDir}`);
    // With --follow the address was printed when the pipeline drained, while it could be opened.
    if (page !== undefined && !flags.follow) {
      console.log(`\nInsights page for ${page.userId} (served by the api role while the run was up; --follow keeps it up until Ctrl-C):\n  ${page.url}`);
    }
    if (kept) printExplore(sampleUserId);
  });
  if (flags.summaryFile) writeFileSync(flags.summaryFile, `${JSON.stringify(full, null, 2)}\n`);
  const failures = [
    summary.lost !== 0 ? `lost ${summary.lost}` : undefined,
    summary.doubleCounted !== 0 ? `double-counted ${summary.doubleCounted} totals` : undefined,
    summary.rejectMismatches !== 0 ? `${summary.rejectMismatches} rejects differ from what the validation rules expect (by code)` : undefined,
    signups !== undefined && signups.incomplete > 0 ? `${signups.incomplete} sign-up(s) not whole in the view` : undefined,
  ].filter((f) => f !== undefined);
  if (failures.length > 0) throw new Error(`the run ${failures.join(', ')}`);
  // --follow ends only by Ctrl-C: the summary above is complete, the exit code says it was stopped.
  if (signal.aborted) throw new InterruptedError('stopped after the run drained; the summary above is complete', (signal.reason as InterruptedError).signal);
}

export function runCommand(): Command {
  return addEnvOptions(
    new Command('run')
      .description('run the whole pipeline locally: emulators, mock broker and every worker as processes; prints a measured summary')
      .option('--records <n>', 'synthetic transactions to send', wholeNumber(1), 20_000)
      .option('--input <file>', 'serve this NDJSON file instead (broken lines included)')
      .option('--json', 'print the summary as JSON on stdout (progress stays on stderr)')
      .option('--summary-file <file>', 'also write the summary as JSON to this file')
      .option('--follow', 'keep running after the source is drained (Ctrl-C stops)')
      .option('--seed <n>', 'seed of the synthetic data', integer, 1)
      .option('--readers <n>', 'stream-reader processes', wholeNumber(1), 1)
      .option('--scorers <n>', 'scorer processes', wholeNumber(1), 1)
      .option('--projectors <n>', 'projector processes', wholeNumber(1), 1)
      .option('--signups <n>', `users who sign up during the run and link a bank: their history through webhooks, the sync queue and a sync crawler; the summary reports time to insight (default ${DEFAULT_SIGNUPS}, none with --input)`, wholeNumber(0))
      .option('--history <n>', 'transactions in each sign-up history', wholeNumber(1), 2_400)
      .option('--analytics', 'archive the raw stream (local Firehose stand-in) and run the batch job to Parquet once drained')
      .option('--keep', 'leave the environment and its data running for view, batch, query and replay (attaches to a kept one of this stack); stop with `insights local env down`'),
  ).action((flags: RunFlags) => {
    if (flags.keep && flags.analytics) {
      throw new UsageError("--analytics with --keep: the kept environment archives the raw stream itself; run 'npx insights batch' after the run");
    }
    return run(flags);
  });
}
