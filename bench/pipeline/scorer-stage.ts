import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { LocalEnv } from '../../local/env/start.js';
import { LOCAL_TUNING } from '../../local/runner/pipeline.js';
import { WorkerProcess } from '../../local/runner/worker-process.js';
import type { RawRecord } from '../../shared/schemas/raw-record.js';
import type { WorkerVariable } from '../../shared/worker-env.js';
import { SCORING_JOB_NAME, scoringJobOptions } from '../../shared/scoring-job.js';
import type { ScoringJobData, ScoringJobResult } from '../../shared/scoring-job.js';
import { READER_IN_FLIGHT_JOBS, scoringJobs } from '../ceilings/bullmq.js';
import { mapLimit } from '../../workers/lib/concurrency.js';
import { rate } from '../rate.js';
import type { Rate } from '../rate.js';
import { cpuSeconds, peakRssMiB } from './process-stats.js';

export interface ScorerStageOptions {
  /** The environment as a stack of the bench's own sees it (names, Redis, AWS variables). */
  readonly env: LocalEnv;
  readonly connection: Redis;
  readonly records: readonly RawRecord[];
  readonly logDir: string;
  readonly tuning?: Partial<Record<WorkerVariable, string | number | boolean>>;
  /** Give up when no job completed for this long. @default 60000 ms */
  readonly stallTimeoutMs?: number;
}

export interface ScorerStageResult {
  readonly rate: Rate;
  readonly jobs: number;
  readonly peakRssMiB: number | undefined;
  /** CPU seconds of the scorer process (its inference thread included) from healthy to the last job done. */
  readonly cpuSeconds: number | undefined;
}

/**
 * The scorer's own rate: a backlog of scoring jobs (the stream-reader's shape and size) waits in
 * the queue, one real scorer process (`workers/main.ts scorer`, the pipeline's tuning) takes them,
 * and the rate is the records over the span from the first job taken to the last one finished,
 * from BullMQ's own `processedOn` / `finishedOn`, so the process's start-up does not count.
 */
export async function scorerStage(options: ScorerStageOptions): Promise<ScorerStageResult> {
  const { env } = options;
  const queue = new Queue<ScoringJobData, ScoringJobResult>(env.names.queues.scoring, { connection: options.connection, prefix: env.names.queuePrefix });
  const jobs = scoringJobs(options.records, env.names.streams.raw);
  await mapLimit(jobs, READER_IN_FLIGHT_JOBS, (job) => queue.add(SCORING_JOB_NAME, job.data, { ...scoringJobOptions(), jobId: job.id }));
  const scorer = new WorkerProcess({ role: 'scorer', instance: 1, values: { ...env.workerValues, ...LOCAL_TUNING, ...options.tuning }, awsEnv: env.awsEnvFor('scorer'), logDir: options.logDir });
  let peak: number | undefined;
  try {
    await scorer.start();
    await scorer.waitHealthy(60_000);
    const cpuAtStart = cpuSeconds(scorer.pid);
    const stallMs = options.stallTimeoutMs ?? 60_000;
    let last = -1;
    let lastChange = Date.now();
    for (;;) {
      const counts = await queue.getJobCounts('completed', 'failed');
      const finished = (counts['completed'] ?? 0) + (counts['failed'] ?? 0);
      if (finished >= jobs.length) break;
      if (finished !== last) [last, lastChange] = [finished, Date.now()];
      if (Date.now() - lastChange > stallMs) throw new Error(`scorer stage stalled at ${finished} of ${jobs.length} jobs; see ${scorer.logFile}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    peak = peakRssMiB(scorer.pid);
    const cpuAtEnd = cpuSeconds(scorer.pid);
    const spent = cpuAtStart === undefined || cpuAtEnd === undefined ? undefined : Math.round((cpuAtEnd - cpuAtStart) * 100) / 100;
    const done = await queue.getJobs(['completed'], 0, -1);
    const scored = done.reduce((sum, job) => sum + (job.returnvalue?.scored ?? 0), 0);
    const first = Math.min(...done.map((job) => job.processedOn ?? Infinity));
    const lastFinished = Math.max(...done.map((job) => job.finishedOn ?? 0));
    return { rate: rate(scored, lastFinished - first), jobs: jobs.length, peakRssMiB: peak, cpuSeconds: spent };
  } finally {
    await scorer.stop();
    await queue.close();
  }
}
