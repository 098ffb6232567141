import { runOnce } from '../runtime/worker-runtime.js';
import type { StartRole } from '../runtime/worker-runtime.js';
import { createBatchJob } from './create.js';
import type { BatchSummary } from './batch-job.js';

export { BatchJob } from './batch-job.js';
export { createBatchJob } from './create.js';
export type { BatchProgress, BatchRunOptions, BatchSummary } from './batch-job.js';
export type { BatchJobOptions } from './batch-options.js';
export { EnrichedReader, ENRICHED_VIEW } from './enriched-reader.js';
export * from '../../shared/archive/archive-key.js';
export * from './errors.js';

/**
 * The batch role: one run of the batch job (EventBridge Scheduler starts it as a task), then the
 * process exits. Thin wiring; the logic is in `BatchJob`. SIGTERM stops reading new archive
 * objects, writes and marks what was read, and finishes.
 */
export const start: StartRole<'batch'> = ({ env, logger, aws, health }) => {
  const job = createBatchJob(env, aws, logger);
  const stop = new AbortController();
  let progress: unknown = 'starting';
  health.addCheck('batch', () => progress);
  const finished = job
    .run({
      signal: stop.signal,
      onProgress: (p) => {
        progress = p;
      },
    })
    .then((summary: BatchSummary) => {
      logger.info({ summary }, 'batch finished');
    });
  return Promise.resolve(runOnce(finished, stop));
};
