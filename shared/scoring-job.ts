import type { JobsOptions } from 'bullmq';
import type { RawRecord } from './schemas/raw-record.js';
import { Lane } from './schemas/transaction-change.js';
import type { LaneName } from './schemas/transaction-change.js';

/**
 * The scoring job: the contract between the stream-reader (which adds jobs) and the scorer (which
 * runs them). Both import it from here, so the two sides cannot disagree on its shape or options.
 */

export const SCORING_JOB_VERSION = 1 as const;

/** BullMQ job name of every scoring job (the queue holds nothing else). */
export const SCORING_JOB_NAME = 'score' as const;

/** One raw-stream record in a job, with its position so rejects and results can be traced back. */
export interface ScoringJobRecord {
  readonly sequenceNumber: string;
  readonly record: RawRecord;
}

export interface ScoringJobData {
  readonly v: typeof SCORING_JOB_VERSION;
  /** The raw stream the records were read from. */
  readonly stream: string;
  readonly shardId: string;
  /**
   * The lane of the stream read: the scorer writes the results to that lane's results stream.
   * Absent in jobs added before lanes had streams of their own; each record's envelope says then.
   */
  readonly lane?: LaneName;
  /** Sequence range the job id was derived from (the chunk's first and last record, malformed ones included). */
  readonly firstSequenceNumber: string;
  readonly lastSequenceNumber: string;
  /** In sequence order; empty only in a compacted (completed) job. */
  readonly records: readonly ScoringJobRecord[];
  /**
   * Set once the job completed: its records are dropped so a completed job kept for de-duplication
   * costs a few hundred bytes of Redis instead of the whole batch.
   */
  readonly compacted?: true;
}

/** What a completed job returns (stored as its `returnvalue`). */
export interface ScoringJobResult {
  /** Results put on the results stream. */
  readonly scored: number;
  /** Records set aside in the reject store as unscorable. */
  readonly rejected: number;
}

/**
 * Deterministic job id for a chunk of one shard of one stream: the same records handed over again
 * (a retried or redelivered batch after a crash or a lease move) map to the same id, and BullMQ
 * ignores an add whose id exists. Sequence numbers are decimal and unique within a shard only, and
 * both lanes' raw streams have a `shardId-000000000000`, so the stream is part of the id (without
 * it a history chunk could be taken for a live one already done, and never scored). BullMQ forbids
 * ':' in custom ids, so the parts are joined with '.'.
 */
export function scoringJobId(streamName: string, shardId: string, firstSequenceNumber: string, lastSequenceNumber: string): string {
  return `${streamName}.${shardId}.${firstSequenceNumber}.${lastSequenceNumber}`;
}

/**
 * How long a completed job (compacted to a tombstone) is kept so that a redelivered batch is
 * recognised as done: a redelivery comes from the checkpoint, which trails completed jobs by about
 * a checkpoint interval plus the in-flight window, and happens within a lease failover (10 s) or a
 * consumer retry. An hour covers that hundreds of times over.
 */
export const COMPLETED_JOB_RETENTION_SECONDS = 3_600;
/** Memory guard on the completed set: 50,000 tombstones of ~0.5 KiB are ~25 MiB of Redis. */
export const COMPLETED_JOB_RETENTION_COUNT = 50_000;
/** Failed jobs keep their records for an operator to inspect (they are rare: see the scorer's rejects). */
export const FAILED_JOB_RETENTION_SECONDS = 7 * 86_400;
export const FAILED_JOB_RETENTION_COUNT = 10_000;

export interface ScoringJobRetryOptions {
  /**
   * Runs of a job before it fails (transient errors only: a record that cannot be scored is set
   * aside by the scorer and never fails its job).
   * @default 8
   */
  readonly attempts?: number;
  /** First retry delay; doubles each attempt (±25 % jitter). @default 500 ms, so 8 attempts span about a minute */
  readonly backoffMs?: number;
}

/**
 * BullMQ priority of a job of history records (a sign-up's backfill). Live jobs carry none, and
 * BullMQ hands out jobs without a priority before any prioritised one, so a live job added behind
 * a backfill's waiting jobs is the next one a free scorer slot takes.
 */
export const HISTORY_JOB_PRIORITY = 10;

/** The lane of a raw record: history when a sign-up's backfill put it, else live (the feed has no change envelope). */
export function laneOf(record: RawRecord): LaneName {
  return record.change?.lane ?? Lane.Live;
}

/** The options every scoring job is added with; a history job yields to live ones. */
export function scoringJobOptions(options: ScoringJobRetryOptions = {}, lane: LaneName = Lane.Live): JobsOptions {
  return {
    ...(lane === Lane.History ? { priority: HISTORY_JOB_PRIORITY } : {}),
    attempts: options.attempts ?? 8,
    backoff: { type: 'exponential', delay: options.backoffMs ?? 500, jitter: 0.25 },
    removeOnComplete: { age: COMPLETED_JOB_RETENTION_SECONDS, count: COMPLETED_JOB_RETENTION_COUNT },
    removeOnFail: { age: FAILED_JOB_RETENTION_SECONDS, count: FAILED_JOB_RETENTION_COUNT },
  };
}
