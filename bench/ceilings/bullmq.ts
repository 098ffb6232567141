import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RawRecord } from '../../shared/schemas/raw-record.js';
import { WORKER_VARIABLES } from '../../shared/worker-env.js';
import { SCORING_JOB_NAME, SCORING_JOB_VERSION, scoringJobId, scoringJobOptions } from '../../shared/scoring-job.js';
import type { ScoringJobData, ScoringJobResult } from '../../shared/scoring-job.js';
import { chunks } from '../fixtures.js';
import { mapLimit } from '../../workers/lib/concurrency.js';
import { rate, timed } from '../rate.js';
import type { Rate } from '../rate.js';

export interface QueueCeilingOptions {
  /** Two connections: BullMQ's worker blocks on one of its own. */
  readonly connections: { readonly queue: Redis; readonly worker: Redis };
  /** A queue name of its own; obliterated after. */
  readonly queueName: string;
  readonly prefix: string;
  readonly records: readonly RawRecord[];
}

/** The job size and concurrency the pipeline runs with: the worker contract's defaults. */
export const JOB_RECORDS = Number(WORKER_VARIABLES.READER_JOB_MAX_RECORDS.default);
export const SCORER_CONCURRENCY = Number(WORKER_VARIABLES.SCORER_CONCURRENCY.default);
export const READER_IN_FLIGHT_JOBS = Number(WORKER_VARIABLES.READER_MAX_IN_FLIGHT_JOBS.default);

/** Scoring jobs exactly as the stream-reader builds them, from consecutive records of one fake shard. */
export function scoringJobs(records: readonly RawRecord[], streamName: string): { id: string; data: ScoringJobData }[] {
  return chunks(records, JOB_RECORDS).map((slice, jobIndex) => {
    const first = jobIndex * JOB_RECORDS;
    const jobRecords = slice.map((record, i) => ({ sequenceNumber: String(10_000_000 + first + i), record }));
    const data: ScoringJobData = {
      v: SCORING_JOB_VERSION,
      stream: streamName,
      shardId: 'shardId-000000000000',
      firstSequenceNumber: jobRecords[0]!.sequenceNumber,
      lastSequenceNumber: jobRecords[jobRecords.length - 1]!.sequenceNumber,
      records: jobRecords,
    };
    return { id: scoringJobId(data.stream, data.shardId, data.firstSequenceNumber, data.lastSequenceNumber), data };
  });
}

/**
 * BullMQ's transport rate with a processor that does nothing: jobs of the scorer's size added as
 * the stream-reader adds them (one `add` per job, its in-flight window at once) and taken by a
 * worker at the scorer's concurrency. What the queue alone costs per record.
 */
export async function queueCeiling(options: QueueCeilingOptions): Promise<Rate> {
  const queue = new Queue<ScoringJobData, ScoringJobResult>(options.queueName, { connection: options.connections.queue, prefix: options.prefix });
  const jobs = scoringJobs(options.records, 'bench');
  let completed = 0;
  let allDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (allDone = resolve));
  const worker = new Worker<ScoringJobData, ScoringJobResult>(options.queueName, async (job) => ({ scored: job.data.records.length, rejected: 0 }), {
    connection: options.connections.worker,
    prefix: options.prefix,
    concurrency: SCORER_CONCURRENCY,
  });
  worker.on('completed', () => {
    completed += 1;
    if (completed === jobs.length) allDone();
  });
  try {
    await worker.waitUntilReady();
    const { ms } = await timed(async () => {
      await mapLimit(jobs, READER_IN_FLIGHT_JOBS, (job) => queue.add(SCORING_JOB_NAME, job.data, { ...scoringJobOptions(), jobId: job.id }));
      await done;
    });
    return rate(options.records.length, ms);
  } finally {
    await worker.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  }
}
