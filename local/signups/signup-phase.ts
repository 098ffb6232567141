import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../broker/index.js';
import type { SyncBrokerHandle } from '../broker/index.js';
import { isolatedStack } from '../env/isolated-stack.js';
import type { LocalEnv } from '../env/start.js';
import { LOCAL_TUNING } from '../runner/pipeline.js';
import { runLocal } from '../runner/run-local.js';
import { CLOCK_TICKS_PER_SECOND, cpuSeconds, machineTicks } from '../env/process-cpu.js';
import { percentiles } from '../runner/stats.js';
import { scanView } from '../../shared/view/scan-view.js';
import type { ViewContents } from '../../shared/view/scan-view.js';
import type { LiveVersion } from '../../shared/view/version.js';
import type { WorkerProcess } from '../runner/worker-process.js';
import { runSignups } from './signup-fleet.js';
import type { SignupFigures } from './signup-progress.js';

/**
 * The sign-up phase of the bench (`bench/signup.ts`), here so its test can run it at a tiny size (issue 13's targets): how long a new user waits from linking a bank
 * until the whole history (about 2,400 transactions over up to 24 months, every transaction and so
 * every month total) is in the view, while live traffic flows; and how the crawler fleet scales
 * from one process to two. Both run on real processes in the embedded environment with its limits
 * enforced.
 */

/** Target: p95 time to insight of a sign-up's whole history. */
export const SIGNUP_P95_TARGET_MS = 5_000;
/** Target: two crawler processes sync at least this many times the records per second of one. */
export const CRAWLER_SCALING_TARGET = 1.6;

export interface SignupPhaseOptions {
  /** A running environment; the phase provisions a stack of its own in it. */
  readonly env: LocalEnv;
  /** Sign-ups during the phase. @default 10 */
  readonly signups?: number;
  /** Transactions per sign-up history. @default 2,400 */
  readonly historySize?: number;
  /** Live records per second per raw shard meanwhile. @default 500 */
  readonly livePerShard?: number;
  /** Shards per stream, both lanes'. @default 2 */
  readonly shards?: number;
  /** Crawler processes on the sync source. @default 2 */
  readonly crawlers?: number;
  /** Time between two sign-ups. @default 1,000 ms */
  readonly signupIntervalMs?: number;
  /** Give up on sign-ups not whole in the view after this long. @default 120,000 ms */
  readonly timeoutMs?: number;
  readonly onStep?: (message: string) => void;
}

export interface SignupPhaseResult {
  readonly signups: SignupFigures;
  readonly targetP95Ms: number;
  /** Live records: ingest → view latency meanwhile (from the run's own measure). */
  readonly liveLatencyMs: { readonly p50: number; readonly p99: number };
  readonly liveRecords: number;
  /** When each sign-up linked (epoch ms). */
  readonly linkedAtMs: readonly number[];
  /** The live feed as the broker offered it: `records` at `perSecond` from about `fromMs` (epoch ms). */
  readonly live: { readonly perSecond: number; readonly fromMs: number; readonly records: number };
  /** What was offered: live records a second, and the histories' records a second over the sign-up wave. */
  readonly offeredPerSecond: { readonly live: number; readonly history: number };
  /** Live and history records in the view over the phase's wall time: what the machine carried. */
  readonly carriedPerSecond: number;
  /** Where each lane's records spent their time (p50 and p99, ms), from the view's timestamps. */
  readonly hops: { readonly live: LaneHops; readonly history: LaneHops };
  /** Where the machine's CPU went over the phase: what bounds `carriedPerSecond` on a small machine. */
  readonly cpu: PhaseCpu;
}

/** CPU over the phase, from /proc: the emulators and the bench process by name, the workers as the rest of the machine's busy time. */
export interface PhaseCpu {
  /** Cores busy on average, every process on the machine. */
  readonly coresBusy: number;
  readonly cores: number;
  /**
   * CPU seconds by process: the emulators, the fronts, this process with the mock broker, each
   * worker role (its processes summed, from healthy on), the workers' start-up, and `the rest`
   * (other work on the machine, and the workers' shutdown).
   */
  readonly seconds: Readonly<Record<string, number>>;
  /** Machine CPU ms per record carried into the view. */
  readonly msPerRecord: number;
}

/** A lane's hops: (for a sign-up, link → the crawler's put,) crawler put → scorer's result, and result → the view's write. */
export interface LaneHops {
  readonly linkToIngest?: { readonly p50: number; readonly p99: number };
  readonly ingestToScored: { readonly p50: number; readonly p99: number };
  readonly scoredToView: { readonly p50: number; readonly p99: number };
}

/** The hops of the versions whose user is (or is not) a sign-up. */
function laneHops(view: ViewContents, linkedAt: ReadonlyMap<string, number>, signups: boolean): LaneHops {
  const versions = view.versions.filter((v): v is LiveVersion => v.change !== 'removed' && linkedAt.has(v.userId) === signups);
  const pick = (values: number[]) => {
    const p = percentiles(values);
    return { p50: p.p50, p99: p.p99 };
  };
  return {
    ...(signups ? { linkToIngest: pick(versions.map((v) => Date.parse(v.ingestedAt) - (linkedAt.get(v.userId) ?? 0))) } : {}),
    ingestToScored: pick(versions.map((v) => Date.parse(v.scoredAt) - Date.parse(v.ingestedAt))),
    scoredToView: pick(versions.map((v) => Date.parse(v.viewedAt) - Date.parse(v.scoredAt))),
  };
}

/**
 * Live traffic through `runLocal` (the feed crawler at `livePerShard` per shard) and, while it
 * flows, `signups` users linking a bank a second apart: the broker's history job, its signed
 * webhook, the webhook role, the sync queue, the crawler fleet, then the same stream-reader,
 * scorer and projector as the live records. The run is not over until every sign-up is whole in
 * the view (or the timeout passed).
 */
export async function signupPhase(options: SignupPhaseOptions): Promise<SignupPhaseResult> {
  const step = options.onStep ?? (() => undefined);
  const shards = options.shards ?? 2;
  const signups = options.signups ?? 10;
  const historySize = options.historySize ?? 2_400;
  const livePerSecond = (options.livePerShard ?? 500) * shards;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const stack = await isolatedStack(options.env, { stack: `su${Date.now().toString(36).slice(-6)}`, shards: { raw: shards, results: shards, rawHistory: shards, resultsHistory: shards } });
  const logDir = mkdtempSync(join(tmpdir(), 'bench-signup-'));
  // Enough live records to flow for the whole sign-up wave plus the histories' time to insight.
  const liveRecords = Math.round(livePerSecond * ((signups * (options.signupIntervalMs ?? 1_000)) / 1000 + 10));
  // Held until every worker is up: published from the broker's start, the live feed's first 10 to
  // 15 s were a backlog the crawler found when it came up, and the wave met little live traffic.
  const broker: SyncBrokerHandle = await startBroker({ records: liveRecords, publishPerSecond: livePerSecond, holdPublishing: true, historyDelayMs: 200, historySize, maxPageSize: 1_000 });
  let liveFromMs = Date.now();
  let figures: SignupFigures | undefined;
  const workers: WorkerProcess[] = [];
  const started = performance.now();
  const cpuBefore = { machine: machineTicks(), self: process.cpuUsage(), processes: new Map(options.env.processes.map((p) => [p.name, cpuSeconds(p.pid) ?? 0])) };
  try {
    const summary = await runLocal({
      env: stack.env,
      broker,
      workers: { 'stream-reader': shards, scorer: 2, projector: shards },
      tuning: LOCAL_TUNING,
      logDir,
      stallTimeoutMs: timeoutMs,
      onStep: step,
      duringRun: async ({ env, pipeline }) => {
        workers.push(...pipeline.workers());
        const intervalMs = options.signupIntervalMs ?? 1_000;
        figures = await runSignups({
          env,
          broker,
          logDir,
          count: signups,
          historySize,
          intervalMs,
          crawlers: options.crawlers ?? 2,
          tuning: { CRAWLER_PAGE_SIZE: 500 },
          // The timeout counts from the last link, the wave of sign-ups comes before it.
          timeoutMs: timeoutMs + signups * intervalMs,
          onStatus: step,
          onFleet: (fleet) => {
            workers.push(fleet.webhook, ...fleet.crawlers);
            // Everything is up: live traffic from now, the first sign-up links right after.
            liveFromMs = broker.startPublishing();
          },
        });
      },
    });
    const seconds = (performance.now() - started) / 1000;
    const cpu = phaseCpu(options.env, cpuBefore, workers);
    const operator = stack.env.clients();
    const view = await scanView(operator.dynamodb, stack.names.tables.view).finally(() => operator.destroy());
    const linkedAt = new Map(broker.connections().map((c) => [c.userId, c.linkedAt]));
    const waveSeconds = Math.max(1, signups * (options.signupIntervalMs ?? 1_000)) / 1000;
    const inView = summary.inView + (figures?.transactions ?? 0);
    const busySeconds = Object.values(cpu.seconds).reduce((a, b) => a + b, 0);
    return {
      linkedAtMs: [...linkedAt.values()],
      live: { perSecond: livePerSecond, fromMs: liveFromMs, records: liveRecords },
      offeredPerSecond: { live: livePerSecond, history: Math.round((signups * historySize) / waveSeconds) },
      carriedPerSecond: Math.round(inView / seconds),
      signups: figures ?? { count: 0, incomplete: signups, p50Ms: 0, p95Ms: 0, maxMs: 0, transactions: 0 },
      targetP95Ms: SIGNUP_P95_TARGET_MS,
      liveLatencyMs: { p50: summary.latencyMs.p50, p99: summary.latencyMs.p99 },
      liveRecords,
      hops: { live: laneHops(view, linkedAt, false), history: laneHops(view, linkedAt, true) },
      cpu: { ...cpu, msPerRecord: inView > 0 ? Math.round((busySeconds * 1000 * 100) / inView) / 100 : 0 },
    };
  } finally {
    await broker.close();
    await stack.cleanup();
    rmSync(logDir, { recursive: true, force: true });
  }
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** Each role's running CPU (its processes summed), and every worker's start-up as one figure. */
function workerSeconds(workers: readonly WorkerProcess[]): Record<string, number> {
  const seconds: Record<string, number> = {};
  let startUp = 0;
  for (const worker of workers) {
    const cpu = worker.cpu();
    if (cpu === undefined) continue;
    const role = worker.name.replace(/-\d+$/, '');
    seconds[role] = (seconds[role] ?? 0) + cpu.runningSeconds;
    startUp += cpu.startUpSeconds;
  }
  return { ...Object.fromEntries(Object.entries(seconds).map(([role, s]) => [role, round2(s)])), 'workers start-up': round2(startUp) };
}

/** CPU since `before`, by process; what the machine was busy with beyond the named processes is other work's (and the workers' shutdown). */
function phaseCpu(
  env: LocalEnv,
  before: { machine: ReturnType<typeof machineTicks>; self: NodeJS.CpuUsage; processes: ReadonlyMap<string, number> },
  workers: readonly WorkerProcess[],
): Omit<PhaseCpu, 'msPerRecord'> {
  const machine = machineTicks();
  const self = process.cpuUsage(before.self);
  const named: Record<string, number> = {
    ...Object.fromEntries(env.processes.map((p) => [p.name, round2((cpuSeconds(p.pid) ?? 0) - (before.processes.get(p.name) ?? 0))])),
    'bench process (mock broker)': round2((self.user + self.system) / 1e6),
    ...workerSeconds(workers),
  };
  if (machine === undefined || before.machine === undefined) return { coresBusy: 0, cores: 0, seconds: named };
  const ticks = machine.total - before.machine.total;
  // /proc/stat's first line sums every core, so busy ticks over the clock rate are CPU seconds.
  const busySeconds = (machine.busy - before.machine.busy) / CLOCK_TICKS_PER_SECOND;
  const rest = busySeconds - Object.values(named).reduce((a, b) => a + b, 0);
  return { coresBusy: round2(((machine.busy - before.machine.busy) / Math.max(1, ticks)) * machine.cores), cores: machine.cores, seconds: { ...named, 'the rest': round2(Math.max(0, rest)) } };
}

/** The phase's lines for the bench report, each figure beside its target. */
export function signupReportLines(phase: SignupPhaseResult): string[] {
  const s = phase.signups;
  return [
    `sign-up time to insight (link → whole history in view): p50 ${s.p50Ms} ms, p95 ${s.p95Ms} ms (target < ${phase.targetP95Ms} ms) ${s.p95Ms < phase.targetP95Ms && s.incomplete === 0 ? 'MET' : 'MISSED'}; ${s.count} whole, ${s.incomplete} not, ${s.transactions} transactions`,
    `live meanwhile (${phase.liveRecords} records): ingest → view p50 ${phase.liveLatencyMs.p50} ms, p99 ${phase.liveLatencyMs.p99} ms (target < 1000 ms) ${phase.liveLatencyMs.p99 < 1000 ? 'MET' : 'MISSED'}`,
    // Both targets assume the pipeline carries what is offered; on a machine that cannot, the wait is the backlog, and this line says so.
    ...(['live', 'history'] as const).map((lane) => {
      const h = phase.hops[lane];
      return `${lane} lane: ${h.linkToIngest === undefined ? '' : `link → ingest p50 ${h.linkToIngest.p50} ms, p99 ${h.linkToIngest.p99} ms; `}ingest → scored p50 ${h.ingestToScored.p50} ms, p99 ${h.ingestToScored.p99} ms; scored → view p50 ${h.scoredToView.p50} ms, p99 ${h.scoredToView.p99} ms`;
    }),
    `CPU over the phase: ${phase.cpu.coresBusy} of ${phase.cpu.cores} cores busy, ${phase.cpu.msPerRecord} CPU ms per record carried; ${Object.entries(phase.cpu.seconds)
      .map(([name, seconds]) => `${name} ${seconds} s`)
      .join(', ')}`,
    `offered: live ${phase.offeredPerSecond.live} records/s, and the sign-ups' histories ${phase.offeredPerSecond.history} records/s while they link; the pipeline carried ${phase.carriedPerSecond} records/s into the view over the phase`,
  ];
}

