import type { KinesisRecord } from '../../shared/kinesis/index.js';
import { SCORING_JOB_VERSION, scoringJobId } from '../../shared/scoring-job.js';
import { Lane } from '../../shared/schemas/transaction-change.js';
import type { LaneName } from '../../shared/schemas/transaction-change.js';
import type { ScoringJobData, ScoringJobRecord } from '../../shared/scoring-job.js';
import type { DecodedRecord } from './record-decoder.js';

/** One scoring job to add: its deterministic id and its data. */
export interface PlannedJob {
  readonly id: string;
  readonly data: ScoringJobData;
  /** The lane of the stream it was read from: a history job yields to live ones in the queue. */
  readonly lane: LaneName;
}

export interface JobPlanOptions {
  readonly streamName: string;
  readonly shardId: string;
  /** READER_JOB_MAX_RECORDS. */
  readonly maxRecordsPerJob: number;
  /** The lane of the stream read (the catalog's `STREAMS[…].lane`): every job of it is of that lane. @default live */
  readonly lane?: LaneName;
}

/**
 * Splits a batch into jobs of at most `maxRecordsPerJob` records, each of the stream's lane: the
 * lane is where a record travels, chosen by whoever put it on a stream (the crawler by its sync
 * job, the replayer always history), not what its envelope says. Chunks are cut from the batch as
 * read (malformed records included, then left out of the job, and kept in the chunk they fall in),
 * so the same batch always gives the same chunks and so the same job ids; a chunk of only
 * malformed records makes no job. Pure.
 */
export function planScoringJobs(batch: readonly KinesisRecord[], decoded: readonly DecodedRecord[], options: JobPlanOptions): PlannedJob[] {
  const lane = options.lane ?? Lane.Live;
  const jobs: PlannedJob[] = [];
  for (let start = 0; start < batch.length; start += options.maxRecordsPerJob) {
    const end = Math.min(batch.length, start + options.maxRecordsPerJob);
    const records: ScoringJobRecord[] = [];
    for (const entry of decoded.slice(start, end)) {
      if (entry.ok) records.push({ sequenceNumber: entry.sequenceNumber, record: entry.record });
    }
    const first = batch[start];
    const last = batch[end - 1];
    if (records.length === 0 || first === undefined || last === undefined) continue;
    jobs.push({
      id: scoringJobId(options.streamName, options.shardId, first.sequenceNumber, last.sequenceNumber),
      lane,
      data: {
        v: SCORING_JOB_VERSION,
        stream: options.streamName,
        shardId: options.shardId,
        lane,
        firstSequenceNumber: first.sequenceNumber,
        lastSequenceNumber: last.sequenceNumber,
        records,
      },
    });
  }
  return jobs;
}
