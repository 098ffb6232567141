import { loadavg } from 'node:os';
import type { LocalEnv } from '../env/start.js';
import { CRAWLER_SCALING_TARGET } from './signup-phase.js';
import { syncHistories, withHistoryFleet } from './history-fleet.js';
import { cpuSeconds, machineTicks } from '../env/process-cpu.js';

/**
 * Issue 13's "two crawler processes sync ≥ 1.6 × the records per second of one", with where the
 * CPU went: the same histories synced by one crawler process (CRAWLER_SOURCE=sync), then by two,
 * each on a stack of its own with enough raw shards that the Kinesis write limit does not bound
 * it. Besides records per wall second it prints CPU seconds per role (crawlers, webhook role, this
 * process: the mock broker and the fronts, the emulators) and how busy the machine's cores were,
 * so a run on a shared 2-core machine says whether the cores, not the code, were the bound.
 */

export interface FleetRun {
  readonly crawlers: number;
  readonly records: number;
  readonly wallSeconds: number;
  readonly recordsPerSecond: number;
  /** CPU seconds over the sync, by who spent them. */
  readonly cpu: Readonly<Record<string, number>>;
  /** Records per CPU-second of the crawler processes together. */
  readonly crawlerRecordsPerCpuSecond: number;
  /** Cores busy on average over the sync, every process on the machine (/proc/stat). */
  readonly machineCoresBusy: number | undefined;
  readonly cores: number;
  readonly loadAverage: number;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

async function fleetRun(env: LocalEnv, crawlers: number, connections: number, historySize: number, shards: number): Promise<FleetRun> {
  return withHistoryFleet(env, { crawlers, shards, historySize, name: 'fl' }, async (fleet) => {
    const pids = { crawlers: fleet.crawlers.map((c) => c.pid), webhook: fleet.webhook.pid };
    const sum = (list: readonly (number | undefined)[]): number => list.reduce<number>((a, pid) => a + (cpuSeconds(pid) ?? 0), 0);
    const emulatorsBefore = new Map(env.processes.map((p) => [p.name, cpuSeconds(p.pid) ?? 0]));
    const before = { crawlers: sum(pids.crawlers), webhook: sum([pids.webhook]), self: process.cpuUsage(), machine: machineTicks() };
    const started = performance.now();
    await syncHistories(fleet, { connections, historySize, prefix: 'fleet', pollMs: 50 });
    const wallSeconds = (performance.now() - started) / 1000;
    const self = process.cpuUsage(before.self);
    const machine = machineTicks();
    const cpu: Record<string, number> = {
      crawlers: round2(sum(pids.crawlers) - before.crawlers),
      webhook: round2(sum([pids.webhook]) - before.webhook),
      'bench process (mock broker)': round2((self.user + self.system) / 1e6),
      ...Object.fromEntries(env.processes.map((p) => [p.name, round2((cpuSeconds(p.pid) ?? 0) - (emulatorsBefore.get(p.name) ?? 0))])),
    };
    const records = connections * historySize;
    const busy = machine === undefined || before.machine === undefined ? undefined : ((machine.busy - before.machine.busy) / (machine.total - before.machine.total)) * machine.cores;
    return {
      crawlers,
      records,
      wallSeconds: round2(wallSeconds),
      recordsPerSecond: Math.round(records / wallSeconds),
      cpu,
      crawlerRecordsPerCpuSecond: Math.round(records / Math.max(cpu['crawlers'] ?? 0, 0.01)),
      machineCoresBusy: busy === undefined ? undefined : round2(busy),
      cores: machine?.cores ?? 0,
      loadAverage: round2(loadavg()[0] ?? 0),
    };
  });
}

/** What the sync cost the machine per record, whoever spent it (crawlers, emulators, fronts, the broker). */
function cpuMsPerRecord(run: FleetRun): number {
  return (Object.values(run.cpu).reduce((a, b) => a + b, 0) * 1000) / run.records;
}

/** Records per second the machine's cores allow on this path at a run's CPU per record; undefined without /proc. */
function coresCeiling(run: FleetRun): number | undefined {
  return run.cores === 0 ? undefined : Math.round((run.cores * 1000) / cpuMsPerRecord(run));
}

/** One run's line. */
export function describeFleetRun(run: FleetRun): string {
  const cpu = Object.entries(run.cpu)
    .map(([who, s]) => `${who} ${s} s`)
    .join(', ');
  const cores = run.machineCoresBusy === undefined ? '' : `; machine ${run.machineCoresBusy} of ${run.cores} cores busy (every process, other work included)`;
  // What the sync costs the machine per record, whoever spends it: the cores' ceiling on this path.
  const allowed = coresCeiling(run);
  const ceiling = allowed === undefined ? '' : `; ${round2(cpuMsPerRecord(run))} CPU ms per record in all, so ${run.cores} cores allow at most ${allowed} records/s`;
  return `${run.crawlers} crawler(s): ${run.records} records in ${run.wallSeconds} s = ${run.recordsPerSecond} records/s; crawlers ${run.crawlerRecordsPerCpuSecond} records/CPU-s; CPU ${cpu}${cores}${ceiling}; load ${run.loadAverage}`;
}

export interface FleetScaling {
  readonly one: FleetRun;
  readonly two: FleetRun;
  readonly ratio: number;
  readonly target: number;
}

export async function crawlerFleet(options: { env: LocalEnv; connections?: number; historySize?: number; shards?: number; onStep?: (message: string) => void }): Promise<FleetScaling> {
  const connections = options.connections ?? 16;
  const historySize = options.historySize ?? 2_400;
  // 1,000 records/s per shard: enough shards that two crawlers are far from the write limit.
  const shards = options.shards ?? 8;
  // Warm-up, not counted: the emulators' JIT (DynamoDB Local is a JVM) made the first run cost
  // twice the emulator CPU per record of the second, which favoured whichever run came second.
  options.onStep?.(`warm-up (not counted): ${describeFleetRun(await fleetRun(options.env, 1, Math.max(2, Math.floor(connections / 4)), historySize, shards))}`);
  const one = await fleetRun(options.env, 1, connections, historySize, shards);
  options.onStep?.(describeFleetRun(one));
  const two = await fleetRun(options.env, 2, connections, historySize, shards);
  options.onStep?.(describeFleetRun(two));
  return { one, two, ratio: round2(two.recordsPerSecond / one.recordsPerSecond), target: CRAWLER_SCALING_TARGET };
}

export function fleetReportLines(scaling: FleetScaling): string[] {
  const { one, two } = scaling;
  return [
    describeFleetRun(one),
    describeFleetRun(two),
    `crawler fleet: two crawler processes ${two.recordsPerSecond} records/s vs one ${one.recordsPerSecond} = ×${scaling.ratio} (target ≥ ×${scaling.target}) ${scaling.ratio >= scaling.target ? 'MET' : 'NOT MET'}`,
    ...fleetBoundLines(scaling),
  ];
}

/**
 * The cores' bound on the ratio: a second crawler brings no work off the path (each record costs
 * the ledger, the stream and the crawler the same), so two can sync no faster than the machine's
 * cores allow at the one-crawler run's CPU per record.
 */
function fleetBoundLines(scaling: FleetScaling): string[] {
  const allowed = coresCeiling(scaling.one);
  if (allowed === undefined) return [];
  const needed = Math.round(scaling.one.recordsPerSecond * scaling.target);
  const bound = Math.round((allowed / Math.max(1, scaling.one.recordsPerSecond)) * 100) / 100;
  return [
    `cores bound: ×${scaling.target} needs two crawlers at ${needed} records/s; at ${round2(cpuMsPerRecord(scaling.one))} CPU ms per record the ${scaling.one.cores} cores allow ${allowed}, at most ×${bound}${needed > allowed ? ': out of reach on this machine whatever the crawlers do' : ''}`,
  ];
}
