import type { Percentiles } from '../local/runner/stats.js';
import type { CapacityInputs, CapacityRow } from './capacity.js';
import { TABLE_WRU_QUOTA } from './capacity.js';
import type { ConsumerControl } from './ceilings/consumer.js';
import type { LoadPhase, PipelineBenchResult } from './pipeline/pipeline-bench.js';
import type { Rate } from './rate.js';
import { TARGETS } from './targets.js';

export const BENCH_RESULT_VERSION = 1 as const;

/** Where the figures came from: they only mean something next to the machine. */
export interface MachineInfo {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly node: string;
  readonly os: string;
  /** 1-minute load average when the run started: other work on the machine skews every figure. */
  readonly loadAverage: number;
}

export type CeilingName = 'putRecords' | 'getRecords' | 'storeWrites' | 'viewWrites' | 'queueNoop' | 'inference';

/** Per-role cost: CPU seconds of a role's processes and the records they carried per CPU second. */
export type RoleCpu = Readonly<Record<string, { readonly cpuSeconds: number; readonly recordsPerCpuSecond: number }>>;

/** One line of the printed table and the report. */
export interface Figure {
  readonly group: 'ceiling' | 'pipeline' | 'latency' | 'memory' | 'cpu' | 'aws' | 'correctness';
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** Readable target, when the issue sets one. */
  readonly target?: string;
  /** Whether the target is met; absent without a target. */
  readonly met?: boolean;
  readonly note?: string;
}

export interface BenchResult {
  readonly version: typeof BENCH_RESULT_VERSION;
  readonly mode: 'quick' | 'full';
  readonly startedAt: string;
  readonly durationMs: number;
  readonly machine: MachineInfo;
  /** The sizes the figures were taken at. */
  readonly settings: {
    /** Shards per stream of the latency runs' first (one unless asked). */
    readonly shards: number;
    /** Shards per stream of the backlog run: enough that Kinesis' write limit does not bound it below the store's ceiling. */
    readonly backlogShards: number;
    readonly jobRecords: number;
    readonly scorerConcurrency: number;
    readonly projectorBatch: number;
    readonly inferenceThreads: number;
  };
  /** What one record weighs on the way (measured on the bench's synthetic data). */
  readonly workload: { readonly rawRecordBytes: number; readonly resultRecordBytes: number; readonly resultsPerRecord?: number; readonly viewWruPerRecord: number; readonly viewItemBytes: number; readonly viewRruPerRecordRead: number; readonly viewRruPerMonthRead: number };
  /** The shard consumer library against a bare GetRecords loop on the same records, CPU seconds of the bench process. */
  readonly consumer: ConsumerControl;
  readonly ceilings: Readonly<Record<CeilingName, Rate>>;
  readonly pipeline: {
    /** `ratio` is to the store's ceiling (plain BatchWriteItem), the one the issue judges by; the lowest ceiling is kept beside it. */
    readonly endToEnd: {
      readonly perSecond: number;
      readonly lowestCeiling: { readonly name: CeilingName; readonly perSecond: number };
      readonly storeCeilingPerSecond: number;
      readonly ratio: number;
      /** CPU µs DynamoDB Local spent per item at its own ceiling (the store's cost of one item write). */
      readonly storeCpuMicrosPerItem?: number;
    };
    /** One scorer process draining a backlog of queued jobs; `peakRssMiB` is that process's peak. */
    readonly scorer: { readonly perSecond: number; readonly queueCeilingPerSecond: number; readonly ratio: number; readonly jobs: number; readonly peakRssMiB?: number; readonly records?: number; readonly cpuSeconds?: number };
    readonly sustained: { readonly records: number; readonly inView: number; readonly throughputPerSec: number; readonly latencyMs: Percentiles };
    readonly loads: readonly LoadPhase[];
    readonly peakRssMiB: Readonly<Record<string, number>>;
    /** Records in view per CPU second of each role over the pipeline run: the per-core figures capacity is planned from. */
    readonly cpu: RoleCpu;
    /** The same over the backlog phase alone, every role busy: what a record costs each role; judged against the targets. */
    readonly backlogCpu: RoleCpu;
    /** CPU ms per second each role spends with nothing to do (polling, renewals, metrics). */
    readonly idleCpuMsPerSecond: Readonly<Record<string, number>>;
    readonly backlogSeconds: number;
    /** CPU seconds of the environment's processes (emulators, fronts, Redis) over the backlog phase, by process name. */
    readonly backlogEnvCpu: Readonly<Record<string, number>>;
    /** AWS calls per record over the backlog phase, by "<caller> <Operation> <table or stream>", as the fronts counted them. */
    readonly backlogCalls?: Readonly<Record<string, number>>;
    /** Records refused on write at a shard's limit over the backlog phase, put again by the producers. */
    readonly backlogThrottledWriteRecords?: number;
    /** The 1,000/s per shard load again on two shards per stream (absent when the main run already used more than one). */
    readonly twoShards?: { readonly shards: number; readonly loads: readonly LoadPhase[]; readonly lost: number; readonly doubleCounted: number };
    /** What the fronts counted of the AWS contracts over the main run: IAM denials, WRU and RRU per table. */
    readonly aws?: PipelineBenchResult['aws'];
    readonly lost: number;
    readonly doubleCounted: number;
    readonly timeline: { readonly perSecond: readonly number[]; readonly phases: readonly { readonly name: string; readonly startSec: number; readonly offeredPerSec: number | null }[] };
  };
  /** Tasks and shards per target rate at a stack's task sizes, from the per-core figures above. */
  readonly capacity: { readonly stack: string; readonly inputs: CapacityInputs; readonly rows: readonly CapacityRow[] };
  readonly figures: readonly Figure[];
  /** Files written, relative to the results folder. */
  readonly files: { readonly json: string; readonly report: string; readonly latencySvg: string; readonly throughputSvg: string };
}

export const CEILING_LABELS: Readonly<Record<CeilingName, string>> = {
  putRecords: 'Kinesis PutRecords (emulator, 500/call)',
  getRecords: 'Kinesis GetRecords (emulator)',
  storeWrites: 'DynamoDB Local plain BatchWriteItem (view items)',
  viewWrites: 'DynamoDB view writes (ViewWriter, projector batch)',
  queueNoop: 'BullMQ transport, no-op processor',
  inference: 'onnxruntime-node, both models, 1 thread',
};

const round2 = (n: number): number => Math.round(n * 100) / 100;

/** The table's rows: every figure with its target beside it. */
export function buildFigures(result: Omit<BenchResult, 'figures' | 'files'>): Figure[] {
  const { ceilings, pipeline, settings } = result;
  const figures: Figure[] = (Object.keys(CEILING_LABELS) as CeilingName[]).map((name) => ({
    group: 'ceiling',
    name: CEILING_LABELS[name],
    value: ceilings[name].perSecond,
    unit: name === 'inference' ? 'rows/s' : 'records/s',
    ...(name === 'queueNoop' ? { note: `jobs of ${settings.jobRecords}, concurrency ${settings.scorerConcurrency}` } : {}),
    ...(name === 'inference' ? { note: `batches of ${settings.jobRecords}` } : {}),
    ...(name === 'storeWrites' ? { note: `25 items a request, 8 in flight, items of about ${result.workload.viewItemBytes} B built beforehand` } : {}),
  }));
  const { bare, library } = result.consumer;
  const consumerRatio = bare.perCpuSecond > 0 ? library.perCpuSecond / bare.perCpuSecond : 0;
  figures.push({
    group: 'cpu',
    name: 'Bare GetRecords loop (control)',
    value: bare.perCpuSecond,
    unit: 'records/cpu-s',
    note: `${bare.records} records in ${bare.cpuSeconds} CPU s of the bench process`,
  });
  figures.push({
    group: 'cpu',
    name: 'Shard consumer library, no-op processor',
    value: library.perCpuSecond,
    unit: 'records/cpu-s',
    target: `≥ ${TARGETS.consumerShareOfBareGetRecords} × bare loop`,
    met: consumerRatio >= TARGETS.consumerShareOfBareGetRecords,
    note: `${Math.round(consumerRatio * 1000) / 1000} × bare loop; ${library.records} records in ${library.cpuSeconds} CPU s (checkpoints and renewals included; start-up ${result.consumer.libraryStartUpCpuSeconds} CPU s apart)`,
  });
  figures.push({
    group: 'pipeline',
    name: 'View write cost, consumed capacity',
    value: result.workload.viewWruPerRecord,
    unit: 'WRU/record',
    target: `≤ ${TARGETS.viewWruPerRecord}`,
    met: result.workload.viewWruPerRecord <= TARGETS.viewWruPerRecord,
    note: 'ViewWriter on the view-write ceiling run, as DynamoDB reports it',
  });
  figures.push({
    group: 'pipeline',
    name: 'View read cost, consumed capacity',
    value: result.workload.viewRruPerMonthRead,
    unit: 'RRU/user-month page',
    note: `${result.workload.viewRruPerRecordRead} RRU per transaction read; every written user-month read back as the read model does (eventually consistent Query)`,
  });
  const e2e = pipeline.endToEnd;
  figures.push({
    group: 'pipeline',
    name: `End to end, broker to view (backlog, ${settings.backlogShards} shard${settings.backlogShards === 1 ? '' : 's'})`,
    value: e2e.perSecond,
    unit: 'records/s',
    target: `≥ ${TARGETS.endToEndShareOfStore} × store ceiling`,
    met: e2e.ratio >= TARGETS.endToEndShareOfStore,
    note: `${round2(e2e.ratio)} × plain BatchWriteItem (${e2e.storeCeilingPerSecond}/s); lowest ceiling ${CEILING_LABELS[e2e.lowestCeiling.name]} (${e2e.lowestCeiling.perSecond}/s)`,
  });
  figures.push({
    group: 'pipeline',
    name: 'Scorer process, queued jobs',
    value: pipeline.scorer.perSecond,
    unit: 'records/s',
    note: `${round2(pipeline.scorer.ratio)} × BullMQ no-op ceiling (${pipeline.scorer.queueCeilingPerSecond}/s); ${settings.inferenceThreads} inference thread`,
  });
  const full = TARGETS.latencyAtFullShard;
  const loadRuns = [{ shards: settings.shards, loads: pipeline.loads }, ...(pipeline.twoShards === undefined ? [] : [pipeline.twoShards])];
  for (const { shards, loads } of loadRuns) for (const load of loads) {
    const judged = load.perShard === full.perShard;
    const met = load.latencyMs.p50 < full.p50Ms && load.latencyMs.p99 < full.p99Ms;
    figures.push({
      group: 'latency',
      name: `Latency p50 / p95 / p99 / max at ${load.perShard}/s per shard, ${shards} shard${shards === 1 ? '' : 's'}`,
      value: load.latencyMs.p99,
      unit: 'ms p99',
      ...(judged ? { target: `p50 < ${full.p50Ms}, p99 < ${full.p99Ms}`, met } : {}),
      note: `${load.latencyMs.p50} / ${load.latencyMs.p95} / ${load.latencyMs.p99} / ${load.latencyMs.max} ms; ${load.inView} of ${load.records} in view at ${load.achievedPerSec}/s; ingest→scored p50 ${load.hops.ingestToScoredMs.p50} ms, scored→view p50 ${load.hops.scoredToViewMs.p50} ms`,
    });
  }
  for (const [role, mib] of Object.entries(pipeline.peakRssMiB)) {
    const limit = TARGETS.peakRssMiB[role];
    figures.push({ group: 'memory', name: `Peak RSS ${role}`, value: mib, unit: 'MiB', ...(limit === undefined ? {} : { target: `< ${limit} MiB`, met: mib < limit }) });
  }
  if (pipeline.scorer.peakRssMiB !== undefined) {
    const limit = TARGETS.peakRssMiB['scorer'];
    figures.push({
      group: 'memory',
      name: 'Peak RSS scorer, draining a backlog',
      value: pipeline.scorer.peakRssMiB,
      unit: 'MiB',
      ...(limit === undefined ? {} : { target: `< ${limit} MiB`, met: pipeline.scorer.peakRssMiB < limit }),
      note: `${pipeline.scorer.jobs} jobs queued, ${settings.scorerConcurrency} at once`,
    });
  }
  for (const [role, use] of Object.entries(pipeline.backlogCpu)) {
    const target = TARGETS.recordsPerCpuSecond[role];
    const whole = pipeline.cpu[role];
    // What a record costs beyond the role's idle polling: the backlog's CPU less idle's rate over its span.
    const idleMs = pipeline.idleCpuMsPerSecond[role];
    const busyCpu = idleMs === undefined ? undefined : use.cpuSeconds - (idleMs / 1000) * pipeline.backlogSeconds;
    const records = pipeline.sustained.records;
    const marginal = busyCpu === undefined || busyCpu <= 0.01 ? undefined : Math.round(records / busyCpu);
    figures.push({
      group: 'cpu',
      name: `Records per CPU second, ${role}`,
      value: use.recordsPerCpuSecond,
      unit: 'records/cpu-s',
      ...(target === undefined ? {} : { target: `≥ ${target.toLocaleString('en-US')}`, met: use.recordsPerCpuSecond >= target }),
      note: `backlog: ${use.cpuSeconds} CPU s in ${pipeline.backlogSeconds} s; idle ${idleMs ?? '?'} CPU ms/s${marginal === undefined ? '' : `, so ${marginal.toLocaleString('en-US')}/CPU-s net of idle`}${role === 'scorer' ? `, ${settings.inferenceThreads} inference thread` : ''}${whole === undefined ? '' : `; whole run with idle polling ${whole.recordsPerCpuSecond.toLocaleString('en-US')}/CPU-s`}`,
    });
  }
  figures.push(...machineCpuFigures(result));
  if (pipeline.scorer.cpuSeconds !== undefined && pipeline.scorer.records !== undefined && pipeline.scorer.cpuSeconds > 0) {
    const perCpu = Math.round(pipeline.scorer.records / pipeline.scorer.cpuSeconds);
    const target = TARGETS.recordsPerCpuSecond['scorer'];
    figures.push({
      group: 'cpu',
      name: 'Records per CPU second, scorer alone on queued jobs',
      value: perCpu,
      unit: 'records/cpu-s',
      ...(target === undefined ? {} : { target: `≥ ${target.toLocaleString('en-US')}`, met: perCpu >= target }),
      note: `${pipeline.scorer.records} records in ${pipeline.scorer.cpuSeconds} CPU s of the process, ${settings.inferenceThreads} inference thread included; no upstream to wait on`,
    });
  }
  const quotaRow = result.capacity.rows.find((row) => row.transactionsPerSecond === TARGETS.viewWithinQuotaAt);
  if (quotaRow !== undefined) {
    figures.push({
      group: 'pipeline',
      name: `View WRU/s at ${TARGETS.viewWithinQuotaAt.toLocaleString('en-US')} transactions/s`,
      value: quotaRow.viewWriteUnitsPerSecond,
      unit: 'WRU/s',
      target: `≤ ${TABLE_WRU_QUOTA.toLocaleString('en-US')} (default table quota)`,
      met: quotaRow.viewWriteUnitsPerSecond <= TABLE_WRU_QUOTA,
      note: `capacity table from this run's measured WRU/record and records per CPU second; ${Object.entries(quotaRow.tasks).map(([role, n]) => `${role} ${n}`).join(', ')} tasks`,
    });
  }
  if (pipeline.aws !== undefined) {
    figures.push({ group: 'aws', name: 'Calls denied by IAM (main run)', value: pipeline.aws.deniedCalls, unit: 'calls', target: '0', met: pipeline.aws.deniedCalls === 0 });
    const fanOut = pipeline.aws.fanOut;
    if (fanOut !== undefined) {
      figures.push({
        group: 'aws',
        name: 'Records pushed by enhanced fan-out (live lane, all phases)',
        value: fanOut.recordsPushed,
        unit: 'records',
        note: `${fanOut.events} events; ${fanOut.subscribed} subscriptions, ${fanOut.refusedInUse} refused (consumer CREATING or within 5 s of the last), ${fanOut.takenOver} taken over; ${fanOut.pipeWaits ?? 0} pushes waited for a consumer's 2 MiB/s per shard; no GetRecords call spent on the live streams`,
      });
    }
    for (const cost of pipeline.aws.tables) {
      figures.push({
        group: 'aws',
        name: `WRU / RRU per record offered, ${cost.table}`,
        value: cost.wruPerRecord,
        unit: 'WRU/record',
        note: `${cost.rruPerRecord} RRU/record; ${Object.entries(cost.roles).map(([role, r]) => `${role} ${r.wru} WRU ${r.rru} RRU`).join(', ')}`,
      });
    }
  }
  for (const { shards, loads } of loadRuns) for (const load of loads) {
    if (load.reads === undefined) continue;
    const judged = load.perShard === full.perShard;
    figures.push({
      group: 'aws',
      name: `GetRecords calls/s on the busiest shard at ${load.perShard}/s per shard, ${shards} shard${shards === 1 ? '' : 's'}`,
      value: load.reads.getRecordsPerSecondPerShard,
      unit: 'calls/s',
      ...(judged ? { target: '≤ 5 and 0 throttled', met: load.reads.getRecordsPerSecondPerShard <= 5 && load.reads.throttledReads === 0 } : {}),
      note: `${load.reads.throttledReads} reads throttled, ${load.reads.throttledWriteRecords} records throttled on write; every reader of the shard together`,
    });
  }
  const lost = pipeline.lost + (pipeline.twoShards?.lost ?? 0);
  const doubleCounted = pipeline.doubleCounted + (pipeline.twoShards?.doubleCounted ?? 0);
  figures.push({ group: 'correctness', name: 'Lost (all phases)', value: lost, unit: 'records', target: '0', met: lost === 0 });
  figures.push({ group: 'correctness', name: 'Double-counted totals', value: doubleCounted, unit: 'totals', target: '0', met: doubleCounted === 0 });
  return figures;
}

const micros = (cpuSeconds: number, records: number): number => Math.round((cpuSeconds * 1e6) / Math.max(1, records));

/**
 * Where the backlog's CPU went on the whole machine, per record: each environment process (the
 * emulators, the fronts, Redis) beside the workers. On one machine they share its cores, so the
 * end-to-end rate cannot pass cores ÷ (CPU per record); the store's share is compared with what one
 * item write costs it at its own ceiling, which says how many item writes a record costs it.
 */
function machineCpuFigures(result: Omit<BenchResult, 'figures' | 'files'>): Figure[] {
  const { pipeline, machine } = result;
  const records = pipeline.sustained.records;
  const figures: Figure[] = [];
  const storeItem = pipeline.endToEnd.storeCpuMicrosPerItem;
  for (const [name, cpu] of Object.entries(pipeline.backlogEnvCpu)) {
    const perRecord = micros(cpu, records);
    const isStore = storeItem !== undefined && storeItem > 0 && /dynamo/i.test(name);
    figures.push({
      group: 'cpu',
      name: `Environment CPU per record on the backlog, ${name}`,
      value: perRecord,
      unit: 'CPU µs/record',
      note: `${cpu} CPU s for ${records} records${isStore ? `; ${round2(perRecord / storeItem)} × the ${storeItem} µs one item write costs it at its ceiling` : ''}`,
    });
  }
  if (pipeline.backlogThrottledWriteRecords !== undefined) {
    figures.push({
      group: 'aws',
      name: 'Kinesis records throttled on write on the backlog',
      value: pipeline.backlogThrottledWriteRecords,
      unit: 'records',
      note: `refused at a shard's write limit (1,000 records/s or 1 MiB/s) and put again by the producers, each an entry of a later PutRecords call; ${records} records offered`,
    });
  }
  for (const [call, perRecord] of Object.entries(pipeline.backlogCalls ?? {})) {
    figures.push({ group: 'cpu', name: `AWS calls per record on the backlog, ${call}`, value: perRecord, unit: 'calls/record', note: `${Math.round(perRecord * records)} calls for ${records} records` });
  }
  const workers = Object.values(pipeline.backlogCpu).reduce((sum, use) => sum + use.cpuSeconds, 0);
  const environment = Object.values(pipeline.backlogEnvCpu).reduce((sum, cpu) => sum + cpu, 0);
  const perRecord = micros(workers + environment, records);
  figures.push({
    group: 'cpu',
    name: 'Machine CPU per record on the backlog, workers and environment',
    value: perRecord,
    unit: 'CPU µs/record',
    note: `workers ${micros(workers, records)} µs, environment ${micros(environment, records)} µs; at ${machine.cpus} cores that bounds end to end to ${Math.round((machine.cpus * 1e6) / Math.max(1, perRecord)).toLocaleString('en-US')} records/s`,
  });
  return figures;
}
