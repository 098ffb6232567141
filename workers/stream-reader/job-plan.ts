import type { KinesisRecord } from '../../shared/kinesis/index.js';
import { SCORING_JOB_VERSION, laneOf, scoringJobId } from '../../shared/scoring-job.js';
import type { LaneName } from '../../shared/schemas/transaction-change.js';
import type { ScoringJobData, ScoringJobRecord } from '../../shared/scoring-job.js';
import type { DecodedRecord } from './record-decoder.js';

/** One scoring job to add: its deterministic id and its data. */
export interface PlannedJob {
  readonly id: string;
  readonly data: ScoringJobData;
  /** Every record of a job is of one lane: a history job yields to live ones in the queue. */
  readonly lane: LaneName;
}

export interface JobPlanOptions {
  readonly streamName: string;
  readonly shardId: string;
  /** READER_JOB_MAX_RECORDS. */
  readonly maxRecordsPerJob: number;
}

/**
 * Splits a batch into jobs of at most `maxRecordsPerJob` records, a new job also where the lane
 * changes (live records never share a job with a backfill's, which waits behind live ones). Chunks
 * are cut from the batch as read (malformed records included, then left out of the job, and kept
 * in the chunk they fall in), so the same batch always gives the same chunks and so the same job
 * ids; a chunk of only malformed records makes no job. Pure.
 */
export function planScoringJobs(batch: readonly KinesisRecord[], decoded: readonly DecodedRecord[], options: JobPlanOptions): PlannedJob[] {
  const jobs: PlannedJob[] = [];
  let start = 0;
  while (start < batch.length) {
    let lane: LaneName | undefined;
    let end = start;
    while (end < batch.length && end - start < options.maxRecordsPerJob) {
      const entry = decoded[end];
      const entryLane = entry?.ok === true ? laneOf(entry.record) : undefined;
      if (entryLane !== undefined && lane !== undefined && entryLane !== lane) break;
      lane ??= entryLane;
      end += 1;
    }
    const chunk = batch.slice(start, end);
    const records: ScoringJobRecord[] = [];
    for (const entry of decoded.slice(start, end)) {
      if (entry.ok) records.push({ sequenceNumber: entry.sequenceNumber, record: entry.record });
    }
    start = end;
    const first = chunk[0];
    const last = chunk[chunk.length - 1];
    if (records.length === 0 || first === undefined || last === undefined || lane === undefined) continue;
    jobs.push({
      id: scoringJobId(options.streamName, options.shardId, first.sequenceNumber, last.sequenceNumber),
      lane,
      data: {
        v: SCORING_JOB_VERSION,
        stream: options.streamName,
        shardId: options.shardId,
        firstSequenceNumber: first.sequenceNumber,
        lastSequenceNumber: last.sequenceNumber,
        records,
      },
    });
  }
  return jobs;
}
