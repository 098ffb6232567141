import { startLocalEnv } from '../local/env/start.js';
import { capacityDelta, capacityOf, describeCapacity, shardReadsOf } from '../local/env/front/limits/capacity-report.js';
import type { FrontsStats } from '../local/env/front/fronts.js';
import { signupPhase, signupReportLines } from '../local/signups/signup-phase.js';
import { crawlerFleet, fleetReportLines } from '../local/signups/crawler-fleet.js';
import { storeBound, storeBoundLine } from '../local/signups/store-bound.js';
import { TransactionScorer } from '../models/index.js';
import { storeWriteCeiling } from './ceilings/dynamodb.js';
import { benchScoredResults, benchTransactions } from './fixtures.js';
import { callsPerRecord } from './pipeline/pipeline-bench.js';

/**
 * The bench's sign-up phase (issue 13's targets), measured by `local/signups/signup-phase.ts`:
 * time from link to the whole history in the view (p95 < 5 s with live traffic flowing) and the
 * crawler fleet from one process to two (≥ ×1.6). `run-bench` can call `signupPhase` and
 * `crawlerFleet` (local/signups/crawler-fleet.ts) with its own environment and print `signupReportLines`.
 */
export { CRAWLER_SCALING_TARGET, SIGNUP_P95_TARGET_MS, signupPhase, signupReportLines } from '../local/signups/signup-phase.js';
export type { SignupPhaseOptions, SignupPhaseResult } from '../local/signups/signup-phase.js';

/**
 * DynamoDB Local's plain `BatchWriteItem` items/s on view items with the machine to itself (the
 * pipeline bench's store ceiling), before the phase: what the sign-ups' store bound is computed from.
 */
async function storeCeiling(env: Awaited<ReturnType<typeof startLocalEnv>>, items: number, log: (message: string) => void): Promise<number> {
  log(`store ceiling: DynamoDB Local plain BatchWriteItem, ${items} view items`);
  const scorer = await TransactionScorer.create({ intraOpNumThreads: 1 });
  const clients = env.clients();
  try {
    const scored = await benchScoredResults(benchTransactions(items + items / 5, 401), scorer);
    const storePid = env.processes.find((p) => p.name === env.engines.dynamodb)?.pid;
    const ceiling = await storeWriteCeiling({ dynamodb: clients.dynamodb, tableName: `signup-store-${Date.now().toString(36)}`, warmUp: scored.slice(items), results: scored.slice(0, items), ...(storePid === undefined ? {} : { storePid }) });
    return Math.round(ceiling.rate.perSecond);
  } finally {
    clients.destroy();
    await scorer.close();
  }
}

/** Records the fronts refused on write at a shard's limit between two snapshots, by stream (the producers put them again). */
function throttledWritesByStream(before: FrontsStats, after: FrontsStats): Record<string, number> {
  const earlier = new Map(shardReadsOf(before).map((s) => [s.shard, s.throttledRecords]));
  const byStream: Record<string, number> = {};
  for (const shard of shardReadsOf(after)) {
    const stream = shard.shard.slice(0, shard.shard.lastIndexOf('/'));
    byStream[stream] = (byStream[stream] ?? 0) + shard.throttledRecords - (earlier.get(shard.shard) ?? 0);
  }
  return byStream;
}

/** `npm run bench:signup [-- --quick]`: the phase on its own, in an environment of its own. */
async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const env = await startLocalEnv({ provision: false });
  const log = (message: string): void => void process.stderr.write(`${message}\n`);
  try {
    const store = await storeCeiling(env, quick ? 1_000 : 10_000, log);
    const before = env.front === undefined ? undefined : await env.front.stats();
    const options = quick ? { signups: 2, historySize: 300, livePerShard: 50, timeoutMs: 60_000 } : {};
    const phase = await signupPhase({ env, onStep: log, ...options });
    const after = env.front === undefined ? undefined : await env.front.stats();
    // What the sync path (crawler state, ledger, view) spends, as the fronts counted it: per transaction, live and history together.
    const transactions = phase.liveRecords + phase.signups.transactions;
    const spent = before === undefined || after === undefined ? undefined : capacityDelta(capacityOf(before), capacityOf(after));
    // The phase's stack is the only one in this environment while it runs, so every call counted is the phase's (the measuring reads included, as `operator`).
    const calls = before === undefined || after === undefined ? undefined : callsPerRecord(before, after, transactions);
    const scaling = await crawlerFleet({ env, onStep: log, ...(quick ? { connections: 8, historySize: 1_200 } : {}) });
    const bound =
      spent === undefined || phase.linkedAtMs.length === 0
        ? undefined
        : storeBound({ spent, transactions, historyTransactions: phase.signups.transactions, ceilingPerSecond: store, live: phase.live, linkedAtMs: phase.linkedAtMs, signupTargetMs: phase.targetP95Ms, liveTargetMs: 1_000 });
    const boundLines = bound === undefined ? [] : [storeBoundLine(bound, phase.linkedAtMs.length)];
    process.stdout.write(`${[...signupReportLines(phase), ...boundLines, ...fleetReportLines(scaling)].join('\n')}\n`);
    if (spent !== undefined) process.stdout.write(`DynamoDB during the sign-up phase:\n${describeCapacity(spent, transactions)}\n`);
    if (before !== undefined && after !== undefined) {
      const throttled = Object.entries(throttledWritesByStream(before, after)).filter(([, n]) => n > 0);
      const total = throttled.reduce((sum, [, n]) => sum + n, 0);
      process.stdout.write(`Kinesis records throttled on write during the sign-up phase: ${total}${throttled.length === 0 ? '' : ` (${throttled.map(([stream, n]) => `${stream} ${n}`).join(', ')})`}, put again by the producers\n`);
    }
    if (calls !== undefined) process.stdout.write(`AWS calls per transaction during the sign-up phase:\n${Object.entries(calls).map(([call, n]) => `  ${call}: ${n}`).join('\n')}\n`);
    process.stdout.write(`${JSON.stringify({ signups: { count: phase.signups.count, p50Ms: phase.signups.p50Ms, p95Ms: phase.signups.p95Ms }, live: phase.liveLatencyMs, crawlers: { recordsPerSecond: { '1': scaling.one.recordsPerSecond, '2': scaling.two.recordsPerSecond }, ratio: scaling.ratio, target: scaling.target } })}\n`);
  } finally {
    await env.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    // undici says only "fetch failed"; its cause and the stack say which call (and which endpoint) it was.
    const cause = (error as Error).cause;
    process.stderr.write(`${(error as Error).stack ?? String(error)}${cause === undefined ? '' : `\ncaused by: ${String((cause as Error).stack ?? cause)}`}\n`);
    process.exitCode = 1;
  });
}
