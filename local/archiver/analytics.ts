import type { Logger } from '../../shared/logger.js';
import { BatchJob } from '../../workers/batch/batch-job.js';
import type { BatchProgress } from '../../workers/batch/batch-job.js';
import { EnrichedReader } from '../../workers/batch/enriched-reader.js';
import type { LocalEnv } from '../env/start.js';
import type { LocalArchiver } from './local-archiver.js';

/** The `analytics` part of `npm run local -- --analytics --json FILE`. */
export interface AnalyticsSummary {
  /** Archive objects the batch job handled (quarantined ones included). */
  readonly objects: number;
  /** Lines read from the archive. */
  readonly rowsIn: number;
  /** Rows in the enriched Parquet, counted by DuckDB over every file under `enriched/`. */
  readonly rowsOut: number;
  /** Lines that failed validation. */
  readonly rejected: number;
  /** Partitions the run wrote. */
  readonly partitions: number;
}

export interface RunAnalyticsOptions {
  /**
   * The archivers started with `startLocalArchiver` (or one `LocalArchiver`): drained first, so
   * every record on the raw streams is in the archive before the job reads it. An archiver in its own process must be
   * stopped (SIGTERM, which flushes) before calling this instead.
   */
  readonly archiver?: Pick<LocalArchiver, 'drain'>;
  /** How long the archiver may take to catch up. @default 30_000 ms */
  readonly drainTimeoutMs?: number;
  readonly logger?: Logger;
  readonly onProgress?: (progress: BatchProgress) => void;
}

/**
 * Runs the batch job once over the local environment's raw archive, after the pipeline drained,
 * and counts the enriched output from the Parquet itself (not from the job's own figures).
 *
 * @example
 * const archiver = await startLocalArchiver(env);           // before the pipeline starts
 * // ... run the pipeline until it drained ...
 * const analytics = await runAnalytics(env, { archiver });   // { objects, rowsIn, rowsOut, rejected, partitions }
 * await archiver.close();
 */
export async function runAnalytics(env: LocalEnv, options: RunAnalyticsOptions = {}): Promise<AnalyticsSummary> {
  if (options.archiver !== undefined) await options.archiver.drain(options.drainTimeoutMs);
  // The job acts as the batch role; its output is counted by the operator, who reads what any role wrote.
  const clients = env.clientsFor('batch');
  const operator = env.clients();
  try {
    const job = new BatchJob({
      s3: clients.s3,
      dynamodb: clients.dynamodb,
      rawArchiveBucket: env.names.buckets.rawArchive,
      analyticsBucket: env.names.buckets.analytics,
      batchStateTable: env.names.tables.batchState,
      rejectsTable: env.names.tables.rejects,
      viewTable: env.names.tables.view,
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
    const summary = await job.run(options.onProgress === undefined ? {} : { onProgress: options.onProgress });
    const reader = await EnrichedReader.open({ s3: operator.s3, bucket: env.names.buckets.analytics });
    try {
      return { objects: summary.objects, rowsIn: summary.rowsIn, rowsOut: await reader.count(), rejected: summary.rejected, partitions: summary.partitions.length };
    } finally {
      reader.close();
    }
  } finally {
    clients.destroy();
    operator.destroy();
  }
}
