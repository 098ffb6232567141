import { DeleteStreamCommand } from '@aws-sdk/client-kinesis';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { ensureStream } from '../local/env/provision.js';
import { KINESIS_SHARD_LIMITS } from '../local/env/front/limits/kinesis-limits.js';
import { startLocalEnv } from '../local/env/start.js';
import type { LocalEnv } from '../local/env/start.js';
import { LOCAL_TUNING } from '../local/runner/pipeline.js';
import { TransactionScorer } from '../models/index.js';
import { createRedisConnection } from '../workers/lib/redis.js';
import { capacityPlan } from './capacity.js';
import { JOB_RECORDS, SCORER_CONCURRENCY, queueCeiling } from './ceilings/bullmq.js';
import { consumerControl } from './ceilings/consumer.js';
import { PROJECTOR_BATCH, storeWriteCeiling, viewWriteCeiling } from './ceilings/dynamodb.js';
import { inferenceCeiling } from './ceilings/inference.js';
import { kinesisCeilings } from './ceilings/kinesis.js';
import { benchScoredResults, benchTransactions, chunks } from './fixtures.js';
import { packScoredResults } from '../shared/schemas/scored-results-record.js';
import { stackTaskVcpus } from '../local/infra-settings.js';
import { combineFanOut, pipelineBench } from './pipeline/pipeline-bench.js';
import type { FanOutCounts, PipelineBenchResult } from './pipeline/pipeline-bench.js';
import { scorerStage } from './pipeline/scorer-stage.js';
import { benchReportMarkdown } from './report/markdown.js';
import { latencyHistogramSvg, throughputSvg } from './report/svg.js';
import { BENCH_RESULT_VERSION, buildFigures } from './result.js';
import type { BenchResult, CeilingName, MachineInfo } from './result.js';
import { isolatedStack } from '../local/env/isolated-stack.js';

/**
 * Sizes of one run. `quick` is CI's smoke run (under two minutes on 2 cores); `full` takes its
 * time, but stays under about 30,000 records in the view: DynamoDB Local (512 MiB heap) fails
 * scans of much larger tables with InternalFailure.
 */
export const BENCH_PROFILES = {
  quick: { kinesisRecords: 5_000, viewRecords: 1_000, viewWarmUp: 300, queueRecords: 5_000, inferenceMs: 2_000, scorerRecords: 5_000, sustainedRecords: 1_000, loadSeconds: 2 },
  full: { kinesisRecords: 50_000, viewRecords: 10_000, viewWarmUp: 2_000, queueRecords: 50_000, inferenceMs: 10_000, scorerRecords: 25_000, sustainedRecords: 10_000, loadSeconds: 10 },
} as const;

/** Records offered at once before a latency run's loads, so every worker has read and written once before latency counts. */
const LOAD_WARM_UP = 200;

/** Results shards of the scorer-alone stage: room for about 8,000 records/s at Kinesis' 1,000 per shard. */
const SCORER_STAGE_RESULT_SHARDS = 8;

/** Offered loads per shard: a quarter, half and all of a real shard's 1,000 records/s write limit. */
export const OFFERED_LOADS_PER_SHARD = [250, 500, 1000] as const;

export interface BenchOptions {
  /** @default false (the full run) */
  readonly quick?: boolean;
  /** Where `<timestamp>.json`, `.md` and the SVGs go. @default bench/results */
  readonly outDir: string;
  /** Shards per stream in the pipeline run. @default 1 (so an offered load is exactly per shard) */
  readonly shards?: number;
  /** An environment already running (tests); else one is started and stopped here. */
  readonly env?: LocalEnv;
  readonly onStep?: (message: string) => void;
}

function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.versions.node,
    os: `${type()} ${release()}`,
    loadAverage: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}

const KINESIS_CEILINGS: ReadonlySet<CeilingName> = new Set(['putRecords', 'getRecords']);

/** Each role's highest peak over several runs. */
function peakOf(...runs: readonly Record<string, number>[]): Record<string, number> {
  const peaks: Record<string, number> = {};
  for (const run of runs) for (const [role, mib] of Object.entries(run)) peaks[role] = Math.max(peaks[role] ?? 0, mib);
  return peaks;
}

/** Two runs' timelines one after the other, the second's phases moved past the first's seconds. */
function joinTimelines(first: PipelineBenchResult['timeline'], second: PipelineBenchResult['timeline']): PipelineBenchResult['timeline'] {
  const offset = first.perSecond.length;
  return { perSecond: [...first.perSecond, ...second.perSecond], phases: [...first.phases, ...second.phases.map((p) => ({ ...p, startSec: p.startSec + offset }))] };
}

const stamp = (date: Date): string => date.toISOString().replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z');

/**
 * `npm run bench`: measures each stage's ceiling and then the pipeline itself in the same run on
 * the embedded environment, writes `<timestamp>.json`, a markdown report and two SVG charts, and
 * returns the result (the caller prints the table).
 */
/** Both runs' fan-out counts together; an older result may lack one. */
function sumFanOut(a: FanOutCounts | undefined, b: FanOutCounts | undefined): FanOutCounts {
  const zero: FanOutCounts = { subscribed: 0, refusedInUse: 0, takenOver: 0, recordsPushed: 0, events: 0, pipeWaits: 0 };
  return combineFanOut(a ?? zero, b ?? zero);
}

export async function runBench(options: BenchOptions): Promise<BenchResult & { readonly outDir: string }> {
  const profile = options.quick === true ? BENCH_PROFILES.quick : BENCH_PROFILES.full;
  const step = options.onStep ?? (() => undefined);
  const shards = options.shards ?? 1;
  const started = new Date();
  const t0 = performance.now();
  const machine = machineInfo();
  const env = options.env ?? (await startLocalEnv({ provision: false, onProgress: step }));
  const id = randomUUID().replace(/-/g, '').slice(0, 8);
  const logDir = join(options.outDir, `${stamp(started)}-logs`);
  const clients = env.clients();
  const redis = { queue: createRedisConnection({ url: env.redisUrl }), worker: createRedisConnection({ url: env.redisUrl }) };
  const scorer = await TransactionScorer.create({ intraOpNumThreads: 1 });
  try {
    // Ceilings first, each alone on the machine.
    const sample = benchTransactions(Math.max(profile.kinesisRecords, profile.queueRecords, profile.viewRecords + profile.viewWarmUp, profile.scorerRecords), 401);
    const rawRecords = sample.map((t) => t.raw);

    const streamName = `bench-ceiling-${id}`;
    await ensureStream(clients.kinesis, streamName, shards);
    step(`ceilings: Kinesis PutRecords and GetRecords, ${profile.kinesisRecords} records on ${shards} shard(s)`);
    const { kinesis, consumer } = await (async () => {
      const ceilings = await kinesisCeilings({ kinesis: clients.kinesis, streamName, records: rawRecords.slice(0, profile.kinesisRecords) });
      step(`control: bare GetRecords loop and the shard consumer library on the same ${profile.kinesisRecords} records, CPU seconds`);
      const control = await consumerControl({ kinesis: clients.kinesis, dynamodb: clients.dynamodb, streamName, records: profile.kinesisRecords, leaseTableName: `bench-leases-${id}` });
      return { kinesis: ceilings, consumer: control };
    })().finally(() => clients.kinesis.send(new DeleteStreamCommand({ StreamName: streamName })).catch(() => undefined));

    step(`ceilings: onnxruntime-node, batches of ${JOB_RECORDS} for ${profile.inferenceMs / 1000} s`);
    const inference = await inferenceCeiling({ scorer, transactions: sample.map((t) => t.transaction), batchSize: JOB_RECORDS, durationMs: profile.inferenceMs });

    const scored = await benchScoredResults(sample.slice(0, profile.viewRecords + profile.viewWarmUp), scorer);
    step(`ceilings: DynamoDB view writes through ViewWriter, ${profile.viewRecords} records`);
    const viewWrite = await viewWriteCeiling({ dynamodb: clients.dynamodb, tableName: `bench-view-${id}`, warmUp: scored.slice(profile.viewRecords), results: scored.slice(0, profile.viewRecords) });
    // After the ViewWriter's run, so DynamoDB Local's JIT has compiled its write path for both.
    step(`ceilings: DynamoDB Local plain BatchWriteItem, ${profile.viewRecords} view items`);
    const storePid = env.processes.find((p) => p.name === env.engines.dynamodb)?.pid;
    const store = await storeWriteCeiling({
      dynamodb: clients.dynamodb,
      tableName: `bench-store-${id}`,
      warmUp: scored.slice(profile.viewRecords),
      results: scored.slice(0, profile.viewRecords),
      ...(storePid === undefined ? {} : { storePid }),
    });

    step(`ceilings: BullMQ no-op, ${profile.queueRecords / JOB_RECORDS} jobs of ${JOB_RECORDS}`);
    const queueNoop = await queueCeiling({ connections: redis, queueName: `bench-noop-${id}`, prefix: `{bench-${id}}`, records: rawRecords.slice(0, profile.queueRecords) });
    const ceilings: Record<CeilingName, typeof queueNoop> = { putRecords: kinesis.putRecords, getRecords: kinesis.getRecords, storeWrites: store.rate, viewWrites: viewWrite.rate, queueNoop, inference };

    // The backlog on as many shards as the store's ceiling needs: on one shard Kinesis' write limit
    // (1,000 records/s) would be the bound, and the figure would say nothing about the workers.
    const backlogShards = Math.max(shards, Math.ceil(store.rate.perSecond / KINESIS_SHARD_LIMITS.writeRecords));

    // The scorer alone writes its results to enough shards that Kinesis' 1,000 records/s per shard
    // does not bound it: on one, every put past that comes back throttled and is sent again, which
    // is the stream's limit, not the scorer's cost (8 shards: about 300 of 25,000 puts throttled).
    step(`scorer: one process on ${profile.scorerRecords / JOB_RECORDS} queued jobs, results on ${SCORER_STAGE_RESULT_SHARDS} shards`);
    const scorerStack = await isolatedStack(env, { stack: `bs${id}`, shards: { results: SCORER_STAGE_RESULT_SHARDS } });
    const scorerResult = await scorerStage({ env: scorerStack.env, connection: redis.queue, records: rawRecords.slice(0, profile.scorerRecords), logDir }).finally(() => scorerStack.cleanup());

    step(`pipeline: backlog of ${profile.sustainedRecords} on ${backlogShards} shard(s) per stream`);
    const backlogStack = await isolatedStack(env, { stack: `bb${id}`, shards: { raw: backlogShards, results: backlogShards } });
    const backlog = await pipelineBench({ env: backlogStack.env, logDir, shards: backlogShards, sustainedRecords: profile.sustainedRecords, loadsPerShard: [], loadSeconds: profile.loadSeconds, onStep: step }).finally(() =>
      backlogStack.cleanup(),
    );

    step(`pipeline: ${OFFERED_LOADS_PER_SHARD.join(', ')} records/s per shard for ${profile.loadSeconds} s each on ${shards} shard(s)`);
    const pipelineStack = await isolatedStack(env, { stack: `bp${id}`, shards: { raw: shards, results: shards } });
    const run = await pipelineBench({
      env: pipelineStack.env,
      logDir,
      shards,
      sustainedRecords: LOAD_WARM_UP,
      loadsPerShard: OFFERED_LOADS_PER_SHARD,
      loadSeconds: profile.loadSeconds,
      onStep: step,
    }).finally(() => pipelineStack.cleanup());

    // Latency at a full shard again on two shards per stream: the per-shard read budget holds per shard.
    const twoShards = shards === 1 ? 2 : undefined;
    let twoShardRun: Awaited<ReturnType<typeof pipelineBench>> | undefined;
    if (twoShards !== undefined) {
      const perShard = OFFERED_LOADS_PER_SHARD[OFFERED_LOADS_PER_SHARD.length - 1]!;
      step(`pipeline on ${twoShards} shards: ${perShard} records/s per shard for ${profile.loadSeconds} s`);
      const stack = await isolatedStack(env, { stack: `b2${id}`, shards: { raw: twoShards, results: twoShards } });
      twoShardRun = await pipelineBench({ env: stack.env, logDir, shards: twoShards, sustainedRecords: LOAD_WARM_UP, loadsPerShard: [perShard], loadSeconds: profile.loadSeconds, onStep: step }).finally(() => stack.cleanup());
    }

    // The path from broker to view crosses every ceiling measured here.
    // Kinesis' ceilings were measured on `shards` shards; the backlog had more, so they do not bound it.
    const bounding = (Object.entries(ceilings) as [CeilingName, typeof queueNoop][]).filter(([name]) => backlogShards === shards || !KINESIS_CEILINGS.has(name));
    const [lowestName, lowest] = bounding.reduce((a, b) => (b[1].perSecond < a[1].perSecond ? b : a));
    // Records per CPU second on the backlog, every role busy: the per-record cost capacity is planned from.
    const perCore = Object.fromEntries(Object.entries(backlog.backlogCpu).map(([role, use]) => [role, use.recordsPerCpuSecond]));
    const measured = scored.slice(0, profile.viewRecords);
    const averageBytes = (items: readonly unknown[]): number => Math.round(items.reduce((n: number, item) => n + Buffer.byteLength(JSON.stringify(item)), 0) / Math.max(1, items.length));
    // As the scorer packs a full job's results (scored-results-record.ts): what the results stream's shards are planned from.
    const resultsPerRecord = Math.round((measured.length / Math.max(1, chunks(measured, JOB_RECORDS).reduce((n, job) => n + packScoredResults(job).length, 0))) * 10) / 10;
    const workload = { rawRecordBytes: averageBytes(rawRecords.slice(0, 2_000)), resultRecordBytes: averageBytes(measured), resultsPerRecord, viewWruPerRecord: viewWrite.wruPerRecord, viewItemBytes: store.itemBytes, viewRruPerRecordRead: viewWrite.rruPerRecordRead, viewRruPerMonthRead: viewWrite.rruPerMonthRead };
    const partial: Omit<BenchResult, 'figures' | 'files' | 'capacity'> = {
      version: BENCH_RESULT_VERSION,
      mode: options.quick === true ? 'quick' : 'full',
      startedAt: started.toISOString(),
      durationMs: Math.round(performance.now() - t0),
      machine,
      settings: { shards, backlogShards, jobRecords: JOB_RECORDS, scorerConcurrency: SCORER_CONCURRENCY, projectorBatch: PROJECTOR_BATCH, inferenceThreads: LOCAL_TUNING.INFERENCE_THREADS },
      workload,
      ceilings,
      consumer,
      pipeline: {
        endToEnd: {
          perSecond: backlog.sustained.throughputPerSec,
          lowestCeiling: { name: lowestName, perSecond: lowest.perSecond },
          storeCeilingPerSecond: store.rate.perSecond,
          ratio: backlog.sustained.throughputPerSec / store.rate.perSecond,
          ...(store.storeCpuMicrosPerItem === undefined ? {} : { storeCpuMicrosPerItem: store.storeCpuMicrosPerItem }),
        },
        scorer: {
          perSecond: scorerResult.rate.perSecond,
          queueCeilingPerSecond: queueNoop.perSecond,
          ratio: scorerResult.rate.perSecond / queueNoop.perSecond,
          jobs: scorerResult.jobs,
          ...(scorerResult.peakRssMiB === undefined ? {} : { peakRssMiB: scorerResult.peakRssMiB }),
          ...(scorerResult.cpuSeconds === undefined ? {} : { cpuSeconds: scorerResult.cpuSeconds, records: scorerResult.rate.items }),
        },
        sustained: backlog.sustained,
        loads: run.loads,
        peakRssMiB: peakOf(backlog.peakRssMiB, run.peakRssMiB),
        cpu: run.cpu,
        backlogCpu: backlog.backlogCpu,
        idleCpuMsPerSecond: backlog.idleCpuMsPerSecond,
        backlogSeconds: backlog.backlogSeconds,
        backlogEnvCpu: backlog.backlogEnvCpu,
        backlogCalls: backlog.backlogCalls,
        ...(backlog.backlogThrottledWriteRecords === undefined ? {} : { backlogThrottledWriteRecords: backlog.backlogThrottledWriteRecords }),
        ...(twoShardRun === undefined || twoShards === undefined
          ? {}
          : { twoShards: { shards: twoShards, loads: twoShardRun.loads, lost: twoShardRun.summary.lost, doubleCounted: twoShardRun.summary.doubleCounted } }),
        ...(backlog.aws === undefined || run.aws === undefined ? {} : { aws: { ...backlog.aws, deniedCalls: backlog.aws.deniedCalls + run.aws.deniedCalls, fanOut: sumFanOut(backlog.aws.fanOut, run.aws.fanOut) } }),
        lost: backlog.summary.lost + run.summary.lost,
        doubleCounted: backlog.summary.doubleCounted + run.summary.doubleCounted,
        timeline: joinTimelines(backlog.timeline, run.timeline),
      },
    };
    const base = stamp(started);
    const files = { json: `${base}.json`, report: `${base}.md`, latencySvg: `${base}-latency.svg`, throughputSvg: `${base}-throughput.svg` };
    // Planned at the production stack's task sizes: that is where these rates will have to hold.
    const capacityStack = 'prod';
    const inputs = {
      recordsPerCpuSecond: perCore,
      taskVcpus: stackTaskVcpus(capacityStack),
      ...workload,
      queueCeilingPerSecond: queueNoop.perSecond,
    };
    const capacity = { stack: capacityStack, inputs, rows: capacityPlan(inputs) };
    const result: BenchResult = { ...partial, capacity, figures: buildFigures({ ...partial, capacity }), files };
    mkdirSync(options.outDir, { recursive: true });
    writeFileSync(join(options.outDir, files.latencySvg), latencyHistogramSvg(Object.entries(run.latencySamples).map(([label, values]) => ({ label, values }))));
    writeFileSync(join(options.outDir, files.throughputSvg), throughputSvg(result.pipeline.timeline));
    writeFileSync(join(options.outDir, files.json), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(join(options.outDir, files.report), benchReportMarkdown(result));
    return { ...result, outDir: options.outDir };
  } finally {
    await scorer.close();
    redis.queue.disconnect();
    redis.worker.disconnect();
    clients.destroy();
    if (options.env === undefined) await env.stop();
  }
}
