import type { KinesisRecord } from '../../shared/kinesis/index.js';
import { SCORING_JOB_VERSION, scoringJobId } from '../../shared/scoring-job.js';
import type { ScoringJobData, ScoringJobRecord } from '../../shared/scoring-job.js';
import type { DecodedRecord } from './record-decoder.js';

/** One scoring job to add: its deterministic id and its data. */
export interface PlannedJob {
  readonly id: string;
  readonly data: ScoringJobData;
}

export interface JobPlanOptions {
  readonly streamName: string;
  readonly shardId: string;
  /** READER_JOB_MAX_RECORDS. */
  readonly maxRecordsPerJob: number;
}

/**
 * Splits a batch into jobs of at most `maxRecordsPerJob` records. Chunks are cut from the batch as
 * read (malformed records included, then left out of the job), so the same batch always gives the
 * same chunks and so the same job ids; a chunk of only malformed records makes no job. Pure.
 */
export function planScoringJobs(batch: readonly KinesisRecord[], decoded: readonly DecodedRecord[], options: JobPlanOptions): PlannedJob[] {
  const jobs: PlannedJob[] = [];
  for (let start = 0; start < batch.length; start += options.maxRecordsPerJob) {
    const chunk = batch.slice(start, start + options.maxRecordsPerJob);
    const records: ScoringJobRecord[] = [];
    for (const entry of decoded.slice(start, start + chunk.length)) {
      if (entry.ok) records.push({ sequenceNumber: entry.sequenceNumber, record: entry.record });
    }
    const first = chunk[0];
    const last = chunk[chunk.length - 1];
    if (records.length === 0 || first === undefined || last === undefined) continue;
    jobs.push({
      id: scoringJobId(options.shardId, first.sequenceNumber, last.sequenceNumber),
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
