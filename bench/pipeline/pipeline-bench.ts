import { defaultStartAt } from '../../local/broker/source.js';
import { startBroker } from '../../local/broker/server.js';
import type { LocalEnv } from '../../local/env/start.js';
import type { FrontsStats } from '../../local/env/front/fronts.js';
import { capacityDelta, capacityOf, shardReadsOf } from '../../local/env/front/limits/capacity-report.js';
import type { ShardReads } from '../../local/env/front/limits/capacity-report.js';
import { expectedOutcome } from '../../local/runner/expected.js';
import { measureRun } from '../../local/runner/measure.js';
import type { RunSummary } from '../../local/runner/measure.js';
import { LocalPipeline } from '../../local/runner/pipeline.js';
import type { Percentiles } from '../../local/runner/stats.js';
import { generateTransactions } from '../../models/index.js';
import type { WorkerVariable } from '../../shared/worker-env.js';
import { scanView } from '../../shared/view/scan-view.js';
import { writtenByProjectors } from '../../local/runner/projector-progress.js';
import type { LiveVersion } from '../../shared/view/version.js';
import { arrivalsPerSecond, hopPercentiles, latencies, latencyPercentiles, viewThroughput } from './figures.js';
import type { HopPercentiles } from './figures.js';
import { CpuMeter, PeakMemory } from './process-stats.js';
import { OfferedLoad } from '../../local/load/offered-load.js';

/** How long the workers are watched doing nothing before the first phase. */
const IDLE_WINDOW_MS = 4_000;

export interface PipelineBenchOptions {
  /** The environment as the bench's own stack sees it. */
  readonly env: LocalEnv;
  readonly logDir: string;
  /** Shards of the raw and results streams: the offered load of a phase is per shard times this. */
  readonly shards: number;
  /** Records offered all at once, for the sustained rate. */
  readonly sustainedRecords: number;
  /** Offered loads, records per second per shard. */
  readonly loadsPerShard: readonly number[];
  /** How long each load is offered. */
  readonly loadSeconds: number;
  readonly tuning?: Partial<Record<WorkerVariable, string | number | boolean>>;
  /** A phase gives up when the view did not grow for this long. @default 60000 ms */
  readonly stallTimeoutMs?: number;
  readonly onStep?: (message: string) => void;
}

export interface LoadPhase {
  readonly perShard: number;
  readonly offeredPerSec: number;
  readonly records: number;
  readonly inView: number;
  /** Records per second into the view over the phase. */
  readonly achievedPerSec: number;
  readonly latencyMs: Percentiles;
  /** The latency split at the scorer (`scoredAt`): raw-stream half and results-stream half. */
  readonly hops: HopPercentiles;
  /** GetRecords on this stack's shards during the phase, as the fronts counted them (absent without fronts). */
  readonly reads?: PhaseReads;
}

/** What every reader of a stack's shards spent of the 5 GetRecords calls a second per shard during a phase. */
export interface PhaseReads {
  /** The busiest shard's calls per second over the phase (every reader on it together). */
  readonly getRecordsPerSecondPerShard: number;
  /** Calls the fronts refused with ProvisionedThroughputExceededException during the phase. */
  readonly throttledReads: number;
  /** Records the fronts refused on write at a shard's limit (1,000 records/s or 1 MiB/s) during the phase; the producers put them again. */
  readonly throttledWriteRecords: number;
}

/** WRU and RRU a table of the stack consumed per record offered over the whole run, as the fronts counted them. */
export interface TableCost {
  readonly table: string;
  readonly wruPerRecord: number;
  readonly rruPerRecord: number;
  /** Who spent them, per record. */
  readonly roles: Readonly<Record<string, { readonly wru: number; readonly rru: number }>>;
}

export interface PipelineBenchResult {
  readonly sustained: { readonly records: number; readonly inView: number; readonly throughputPerSec: number; readonly latencyMs: Percentiles };
  readonly loads: readonly LoadPhase[];
  /** The whole run measured against what was offered (every phase). */
  readonly summary: RunSummary;
  /** Peak resident memory per role, MiB (VmHWM of each worker process). */
  readonly peakRssMiB: Record<string, number>;
  /** CPU each role spent on the run (start-up left out) and the records in view per CPU second: per-core rates. */
  readonly cpu: Record<string, { readonly cpuSeconds: number; readonly recordsPerCpuSecond: number }>;
  /**
   * The same over the backlog phase alone, from its release until the projectors wrote all of it:
   * every role busy, so idle polling weighs least; what a record costs each role.
   */
  readonly backlogCpu: Record<string, { readonly cpuSeconds: number; readonly recordsPerCpuSecond: number }>;
  /** CPU ms per second each role spends with nothing to do (polling, lease renewals, metrics), measured before the first phase. */
  readonly idleCpuMsPerSecond: Record<string, number>;
  /** How long the backlog phase took, from its release until the projectors wrote all of it. */
  readonly backlogSeconds: number;
  /**
   * CPU seconds the environment's own processes (emulators, fronts, Redis) spent over the backlog
   * phase, by process name: they share the machine's cores with the workers, so they bound the
   * end-to-end rate too. Every stack of the environment counts (the bench runs one at a time).
   */
  readonly backlogEnvCpu: Record<string, number>;
  /** AWS calls per record over the backlog phase, by caller, operation and this stack's table or stream (the fronts' count). */
  readonly backlogCalls: Record<string, number>;
  /** Records refused on write at a shard's limit over the backlog phase (absent without fronts). */
  readonly backlogThrottledWriteRecords?: number;
  /** Records into the view per second of the run, and where each phase began (s from the start; offered null: a backlog). */
  readonly timeline: { readonly perSecond: readonly number[]; readonly phases: readonly { readonly name: string; readonly startSec: number; readonly offeredPerSec: number | null }[] };
  /** Latency samples per load phase (ms), for the histogram. */
  readonly latencySamples: Record<string, number[]>;
  /** The fronts' figures for the run (absent with an external endpoint, where no fronts run). */
  readonly aws?: {
    /** Calls of this stack's roles that IAM refused. */
    readonly deniedCalls: number;
    readonly tables: readonly TableCost[];
    /** What the Kinesis front's enhanced fan-out did over the run (every stack of the fronts; only this run's workers subscribe meanwhile). */
    readonly fanOut: FanOutCounts;
  };
}

/** Enhanced fan-out over a run: subscriptions made and refused, and what they pushed. */
export interface FanOutCounts {
  readonly subscribed: number;
  /** Refused with ResourceInUseException: a consumer still CREATING, or within five seconds of the last subscription of the consumer and shard. */
  readonly refusedInUse: number;
  readonly takenOver: number;
  readonly recordsPushed: number;
  readonly events: number;
  /** Pushes that waited for a consumer's read pipe (2 MiB/s per shard, enforced by the front); absent in older results. */
  readonly pipeWaits?: number;
}

/** Each count and the fan-out front's name for it. */
const FAN_OUT_FIELDS = { subscribed: 'subscribed', refusedInUse: 'refusedInUse', takenOver: 'takenOver', recordsPushed: 'records', events: 'events', pipeWaits: 'pipeWaits' } as const satisfies Record<keyof FanOutCounts, string>;

/** `a` and `b` combined count by count (`sign` -1: the counts of `a` since `b`); a count an older result lacks is 0. */
export function combineFanOut(a: FanOutCounts, b: FanOutCounts, sign: 1 | -1 = 1): FanOutCounts {
  const keys = Object.keys(FAN_OUT_FIELDS) as (keyof FanOutCounts)[];
  return Object.fromEntries(keys.map((key) => [key, (a[key] ?? 0) + sign * (b[key] ?? 0)])) as unknown as FanOutCounts;
}

function fanOutOf(stats: FrontsStats): FanOutCounts {
  const sum = (key: string): number => stats.fronts.reduce((n, f) => n + Number(f.middlewares['fan-out']?.[key] ?? 0), 0);
  const keys = Object.keys(FAN_OUT_FIELDS) as (keyof FanOutCounts)[];
  return Object.fromEntries(keys.map((key) => [key, sum(FAN_OUT_FIELDS[key])])) as unknown as FanOutCounts;
}

export function fanOutDelta(before: FrontsStats, after: FrontsStats): FanOutCounts {
  return combineFanOut(fanOutOf(after), fanOutOf(before), -1);
}

/** Reads of this stack's shards only: the fronts serve every stack of the environment. */
async function stackShardReads(env: LocalEnv): Promise<Map<string, ShardReads> | undefined> {
  if (env.front === undefined) return undefined;
  const streams = Object.values(env.names.streams);
  const reads = shardReadsOf(await env.front.stats()).filter((r) => streams.some((name) => r.shard.startsWith(`${name}/`)));
  return new Map(reads.map((r) => [r.shard, r]));
}

function phaseReads(before: Map<string, ShardReads> | undefined, after: Map<string, ShardReads> | undefined, seconds: number): PhaseReads | undefined {
  if (before === undefined || after === undefined || seconds <= 0) return undefined;
  let busiest = 0;
  let throttledReads = 0;
  let throttledWriteRecords = 0;
  for (const [shard, a] of after) {
    const b = before.get(shard);
    busiest = Math.max(busiest, (a.getRecordsCalls - (b?.getRecordsCalls ?? 0)) / seconds);
    throttledReads += a.throttledReads - (b?.throttledReads ?? 0);
    throttledWriteRecords += a.throttledRecords - (b?.throttledRecords ?? 0);
  }
  return { getRecordsPerSecondPerShard: Math.round(busiest * 100) / 100, throttledReads, throttledWriteRecords };
}

function tableCosts(env: LocalEnv, before: FrontsStats, after: FrontsStats, records: number): TableCost[] {
  const tables = new Set(Object.values(env.names.tables));
  const per = (n: number): number => Math.round((n / Math.max(1, records)) * 1000) / 1000;
  return Object.entries(capacityDelta(capacityOf(before), capacityOf(after)))
    .filter(([table, units]) => tables.has(table) && (units.wru > 0 || units.rru > 0))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([table, units]) => ({
      table,
      wruPerRecord: per(units.wru),
      rruPerRecord: per(units.rru),
      roles: Object.fromEntries(Object.entries(units.roles).filter(([, r]) => r.wru > 0 || r.rru > 0).map(([role, r]) => [role, { wru: per(r.wru), rru: per(r.rru) }])),
    }));
}

/**
 * Calls per record between two snapshots of the fronts, by "<caller> <Operation> <table or
 * stream>", largest first; only `ours` (a stack's tables and streams) when given.
 */
export function callsPerRecord(before: FrontsStats, after: FrontsStats, records: number, ours?: ReadonlySet<string>): Record<string, number> {
  const counts = (stats: FrontsStats): Map<string, number> => {
    const all = new Map<string, number>();
    for (const front of stats.fronts) for (const [key, n] of Object.entries(front.operations)) all.set(key, (all.get(key) ?? 0) + n);
    return all;
  };
  const earlier = counts(before);
  return Object.fromEntries(
    [...counts(after)]
      .filter(([key]) => ours === undefined || ours.has(key.split(' ')[2] ?? ''))
      .map(([key, n]) => [key, Math.round(((n - (earlier.get(key) ?? 0)) / Math.max(1, records)) * 10_000) / 10_000] as const)
      .filter(([, perRecord]) => perRecord > 0)
      .sort(([, a], [, b]) => b - a),
  );
}

/** A stack's tables and streams, by name. */
function stackResources(env: LocalEnv): ReadonlySet<string> {
  return new Set<string>([...Object.values(env.names.tables), ...Object.values(env.names.streams)]);
}

interface Phase {
  readonly name: string;
  readonly ids: ReadonlySet<string>;
  readonly lines: readonly string[];
  /** Total offered per second; Infinity for the backlog. */
  readonly perSecond: number;
  readonly perShard: number;
}

function phaseLines(count: number, seed: number): { lines: string[]; ids: Set<string> } {
  const transactions = generateTransactions({ count, seed, startAt: defaultStartAt(count, 100) });
  return { lines: transactions.map((t) => JSON.stringify(t.broker)), ids: new Set(transactions.map((t) => t.broker.transactionId)) };
}

/**
 * The pipeline under load, every worker its own process: one broker holds every phase's lines
 * (distinct seeds, so distinct transactions and users), and an `OfferedLoad` in front releases
 * them: first a backlog all at once (the sustained rate), then each load for `loadSeconds`. Each
 * phase ends when the projectors have written all of it; progress is read from their /health, so
 * nothing scans the view while latency is measured. The view is read once at the end.
 */
export async function pipelineBench(options: PipelineBenchOptions): Promise<PipelineBenchResult> {
  const step = options.onStep ?? (() => undefined);
  const phases: Phase[] = [];
  const sustained = phaseLines(options.sustainedRecords, 501);
  phases.push({ name: 'sustained', ids: sustained.ids, lines: sustained.lines, perSecond: Infinity, perShard: Infinity });
  options.loadsPerShard.forEach((perShard, i) => {
    const perSecond = perShard * options.shards;
    const { lines, ids } = phaseLines(Math.round(perSecond * options.loadSeconds), 502 + i);
    phases.push({ name: `${perShard}/s/shard`, ids, lines, perSecond, perShard });
  });
  const allLines = phases.flatMap((p) => p.lines);
  const expected = expectedOutcome(allLines);

  const broker = await startBroker({ lines: allLines });
  const feed = await OfferedLoad.start(broker);
  const memory = new PeakMemory();
  const cpu = new CpuMeter();
  const backlogCpu = new CpuMeter();
  const envCpu = new CpuMeter();
  const envProcesses = options.env.processes.filter((p) => p.pid > 0);
  let idleCpu: Record<string, number> | undefined;
  let backlogStarted = 0;
  let backlogSeconds = 0;
  let backlogFronts: { before: FrontsStats; after: FrontsStats } | undefined;
  let pipeline: LocalPipeline | undefined;
  const phaseStarts: { name: string; atMs: number; offeredPerSec: number }[] = [];
  let startedMs = Date.now();
  const frontBefore = await options.env.front?.stats();
  const readsByPhase = new Map<string, PhaseReads>();
  try {
    pipeline = await LocalPipeline.start({ env: options.env, broker: { url: feed.url, apiKey: feed.apiKey }, logDir: options.logDir, ...(options.tuning ? { tuning: options.tuning } : {}) });
    step(`workers up: ${pipeline.workers().map((w) => `${w.name} (pid ${w.pid})`).join(', ')}`);
    // A quiet window first: what each role costs while nothing arrives (it weighs on every per-record figure).
    const idle = new CpuMeter();
    idle.start(pipeline.workers().flatMap((w) => (w.pid === undefined ? [] : [w.pid])));
    await new Promise((r) => setTimeout(r, IDLE_WINDOW_MS));
    for (const worker of pipeline.workers()) idle.stop(worker.name.replace(/-\d+$/, ''), worker.pid);
    idleCpu = Object.fromEntries(Object.entries(idle.byRole()).map(([role, seconds]) => [role, Math.round((seconds * 1000) / (IDLE_WINDOW_MS / 1000))]));
    startedMs = Date.now();
    cpu.start(pipeline.workers().flatMap((w) => (w.pid === undefined ? [] : [w.pid])));
    let target = 0;
    for (const phase of phases) {
      target += phase.lines.length;
      const backlog = phase === phases[0];
      if (backlog) {
        backlogCpu.start(pipeline.workers().flatMap((w) => (w.pid === undefined ? [] : [w.pid])));
        envCpu.start(envProcesses.map((p) => p.pid));
        backlogStarted = performance.now();
        const before = await options.env.front?.stats();
        if (before !== undefined) backlogFronts = { before, after: before };
      }
      phaseStarts.push({ name: phase.name, atMs: Date.now(), offeredPerSec: phase.perSecond });
      const readsBefore = await stackShardReads(options.env);
      const phaseStarted = performance.now();
      feed.release(phase.lines.length, phase.perSecond);
      step(`${phase.name}: ${phase.lines.length} records offered ${phase.perSecond === Infinity ? 'at once' : `at ${phase.perSecond}/s`}`);
      await waitForView(pipeline, target, options.stallTimeoutMs ?? 60_000, step);
      const reads = phaseReads(readsBefore, await stackShardReads(options.env), (performance.now() - phaseStarted) / 1000);
      if (reads !== undefined) readsByPhase.set(phase.name, reads);
      if (backlog) {
        for (const worker of pipeline.workers()) backlogCpu.stop(worker.name.replace(/-\d+$/, ''), worker.pid);
        for (const proc of envProcesses) envCpu.stop(proc.name, proc.pid);
        backlogSeconds = Math.round(performance.now() - backlogStarted) / 1000;
        const after = await options.env.front?.stats();
        if (backlogFronts !== undefined && after !== undefined) backlogFronts = { ...backlogFronts, after };
      }
    }
    for (const worker of pipeline.workers()) {
      const role = worker.name.replace(/-\d+$/, '');
      memory.record(role, worker.pid);
      cpu.stop(role, worker.pid);
    }
  } finally {
    await pipeline?.stop();
    await feed.close();
    await broker.close();
  }

  const clients = options.env.clients();
  try {
    const names = options.env.names;
    const durationMs = Date.now() - startedMs;
    const frontAfter = await options.env.front?.stats();
    const denied = (await options.env.front?.denials())?.filter((d) => d.stack === options.env.stack).length ?? 0;
    const summary = await retried(() => measureRun(clients, { viewTable: names.tables.view, rejectsTable: names.tables.rejects, resultsStreams: [names.streams.results, names.streams.resultsHistory] }, expected, durationMs));
    const view = await retried(() => scanView(clients.dynamodb, names.tables.view));
    const byPhase = (phase: Phase): LiveVersion[] => view.transactions.filter((t) => phase.ids.has(t.transactionId));
    const [first, ...loads] = phases;
    const sustainedItems = byPhase(first!);
    const lastView = Math.max(startedMs, ...view.transactions.map((t) => Date.parse(t.viewedAt)));
    const latencySamples: Record<string, number[]> = {};
    return {
      sustained: { records: first!.lines.length, inView: sustainedItems.length, throughputPerSec: viewThroughput(sustainedItems), latencyMs: latencyPercentiles(sustainedItems) },
      loads: loads.map((phase) => {
        const items = byPhase(phase);
        latencySamples[phase.name] = latencies(items);
        const reads = readsByPhase.get(phase.name);
        return { perShard: phase.perShard, offeredPerSec: phase.perSecond, records: phase.lines.length, inView: items.length, achievedPerSec: viewThroughput(items), latencyMs: latencyPercentiles(items), hops: hopPercentiles(items), ...(reads === undefined ? {} : { reads }) };
      }),
      summary,
      peakRssMiB: memory.byRole(),
      cpu: Object.fromEntries(
        Object.entries(cpu.byRole()).map(([role, seconds]) => [role, { cpuSeconds: seconds, recordsPerCpuSecond: seconds > 0 ? Math.round(summary.inView / seconds) : 0 }]),
      ),
      idleCpuMsPerSecond: idleCpu ?? {},
      backlogSeconds,
      backlogEnvCpu: envCpu.byRole(),
      ...(readsByPhase.get(phases[0]!.name) === undefined ? {} : { backlogThrottledWriteRecords: readsByPhase.get(phases[0]!.name)!.throttledWriteRecords }),
      backlogCalls: backlogFronts === undefined ? {} : callsPerRecord(backlogFronts.before, backlogFronts.after, first!.lines.length, stackResources(options.env)),
      backlogCpu: Object.fromEntries(
        Object.entries(backlogCpu.byRole()).map(([role, seconds]) => [role, { cpuSeconds: seconds, recordsPerCpuSecond: seconds > 0 ? Math.round(first!.lines.length / seconds) : 0 }]),
      ),
      timeline: {
        perSecond: arrivalsPerSecond(view.transactions, startedMs, lastView + 1),
        phases: phaseStarts.map((p) => ({ name: p.name, startSec: Math.round((p.atMs - startedMs) / 100) / 10, offeredPerSec: p.offeredPerSec === Infinity ? null : p.offeredPerSec })),
      },
      latencySamples,
      ...(frontBefore === undefined || frontAfter === undefined ? {} : { aws: { deniedCalls: denied, tables: tableCosts(options.env, frontBefore, frontAfter, allLines.length), fanOut: fanOutDelta(frontBefore, frontAfter) } }),
    };
  } finally {
    clients.destroy();
  }
}

/** A whole-table scan of DynamoDB Local now and then fails with InternalFailure under memory pressure; a second try after a pause passes. */
async function retried<T>(read: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await read();
    } catch (error) {
      if (attempt >= attempts || (error as { name?: string }).name !== 'InternalFailure') throw error;
      await new Promise((r) => setTimeout(r, 2_000 * attempt));
    }
  }
}

async function waitForView(pipeline: LocalPipeline, target: number, stallMs: number, step: (message: string) => void): Promise<void> {
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const written = await writtenByProjectors(pipeline);
    if (written >= target) return;
    if (written !== last) [last, lastChange] = [written, Date.now()];
    if (Date.now() - lastChange > stallMs) {
      step(`nothing reached the view for ${stallMs / 1000} s (${written} of ${target}); measuring what arrived`);
      return;
    }
    const dead = pipeline.dead();
    if (dead.length > 0) throw new Error(`${dead.map((w) => w.name).join(', ')} exited during the benchmark; see ${dead.map((w) => w.logFile).join(', ')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
