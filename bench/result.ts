import type { Percentiles } from '../local/runner/stats.js';
import type { CapacityInputs, CapacityRow } from './capacity.js';
import type { LoadPhase } from './pipeline/pipeline-bench.js';
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

export type CeilingName = 'putRecords' | 'getRecords' | 'viewWrites' | 'queueNoop' | 'inference';

/** One line of the printed table and the report. */
export interface Figure {
  readonly group: 'ceiling' | 'pipeline' | 'latency' | 'memory' | 'cpu' | 'correctness';
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
    readonly shards: number;
    readonly jobRecords: number;
    readonly scorerConcurrency: number;
    readonly projectorBatch: number;
    readonly inferenceThreads: number;
  };
  /** What one record weighs on the way (measured on the bench's synthetic data). */
  readonly workload: { readonly rawRecordBytes: number; readonly resultRecordBytes: number; readonly viewWruPerRecord: number };
  readonly ceilings: Readonly<Record<CeilingName, Rate>>;
  readonly pipeline: {
    readonly endToEnd: { readonly perSecond: number; readonly lowestCeiling: { readonly name: CeilingName; readonly perSecond: number }; readonly ratio: number };
    /** One scorer process draining a backlog of queued jobs; `peakRssMiB` is that process's peak. */
    readonly scorer: { readonly perSecond: number; readonly queueCeilingPerSecond: number; readonly ratio: number; readonly jobs: number; readonly peakRssMiB?: number };
    readonly sustained: { readonly records: number; readonly inView: number; readonly throughputPerSec: number; readonly latencyMs: Percentiles };
    readonly loads: readonly LoadPhase[];
    readonly peakRssMiB: Readonly<Record<string, number>>;
    /** Records in view per CPU second of each role over the pipeline run: the per-core figures capacity is planned from. */
    readonly cpu: Readonly<Record<string, { readonly cpuSeconds: number; readonly recordsPerCpuSecond: number }>>;
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
  viewWrites: 'DynamoDB view writes (ViewWriter, projector batch)',
  queueNoop: 'BullMQ transport, no-op processor',
  inference: 'onnxruntime-node, both models, 1 thread',
};

const round2 = (n: number): number => Math.round(n * 100) / 100;

/** The table's rows: every figure with its target beside it. */
export function buildFigures(result: Omit<BenchResult, 'figures' | 'files' | 'capacity'>): Figure[] {
  const { ceilings, pipeline, settings } = result;
  const figures: Figure[] = (Object.keys(CEILING_LABELS) as CeilingName[]).map((name) => ({
    group: 'ceiling',
    name: CEILING_LABELS[name],
    value: ceilings[name].perSecond,
    unit: name === 'inference' ? 'rows/s' : 'records/s',
    ...(name === 'queueNoop' ? { note: `jobs of ${settings.jobRecords}, concurrency ${settings.scorerConcurrency}` } : {}),
    ...(name === 'inference' ? { note: `batches of ${settings.jobRecords}` } : {}),
  }));
  figures.push({
    group: 'pipeline',
    name: 'View write cost, consumed capacity',
    value: result.workload.viewWruPerRecord,
    unit: 'WRU/record',
    target: `≤ ${TARGETS.viewWruPerRecord}`,
    met: result.workload.viewWruPerRecord <= TARGETS.viewWruPerRecord,
    note: 'ViewWriter on the view-write ceiling run, as DynamoDB reports it',
  });
  const e2e = pipeline.endToEnd;
  figures.push({
    group: 'pipeline',
    name: 'End to end, broker to view (backlog)',
    value: e2e.perSecond,
    unit: 'records/s',
    target: `≥ ${TARGETS.endToEndShareOfCeiling} × lowest ceiling`,
    met: e2e.ratio >= TARGETS.endToEndShareOfCeiling,
    note: `${round2(e2e.ratio)} × ${CEILING_LABELS[e2e.lowestCeiling.name]} (${e2e.lowestCeiling.perSecond}/s)`,
  });
  figures.push({
    group: 'pipeline',
    name: 'Scorer process, queued jobs',
    value: pipeline.scorer.perSecond,
    unit: 'records/s',
    note: `${round2(pipeline.scorer.ratio)} × BullMQ no-op ceiling (${pipeline.scorer.queueCeilingPerSecond}/s); ${settings.inferenceThreads} inference thread`,
  });
  const full = TARGETS.latencyAtFullShard;
  for (const load of pipeline.loads) {
    const judged = load.perShard === full.perShard;
    const met = load.latencyMs.p50 < full.p50Ms && load.latencyMs.p99 < full.p99Ms;
    figures.push({
      group: 'latency',
      name: `Latency p50 / p95 / p99 / max at ${load.perShard}/s per shard`,
      value: load.latencyMs.p99,
      unit: 'ms p99',
      ...(judged ? { target: `p50 < ${full.p50Ms}, p99 < ${full.p99Ms}`, met } : {}),
      note: `${load.latencyMs.p50} / ${load.latencyMs.p95} / ${load.latencyMs.p99} / ${load.latencyMs.max} ms; ${load.inView} of ${load.records} in view at ${load.achievedPerSec}/s`,
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
  for (const [role, use] of Object.entries(pipeline.cpu)) {
    figures.push({ group: 'cpu', name: `Records per CPU second, ${role}`, value: use.recordsPerCpuSecond, unit: 'records/cpu-s', note: `${use.cpuSeconds} CPU s over the pipeline run` });
  }
  figures.push({ group: 'correctness', name: 'Lost (all phases)', value: pipeline.lost, unit: 'records', target: '0', met: pipeline.lost === 0 });
  figures.push({ group: 'correctness', name: 'Double-counted totals', value: pipeline.doubleCounted, unit: 'totals', target: '0', met: pipeline.doubleCounted === 0 });
  return figures;
}
