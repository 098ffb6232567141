import type { Queue } from 'bullmq';

/**
 * Job states that count as backlog: everything added and not finished. Active jobs count too, so
 * the figure does not drop to zero while scorers are busy and the autoscaler does not scale in
 * under load; prioritized jobs are waiting under another name.
 */
export const BACKLOG_STATES = ['waiting', 'prioritized', 'delayed', 'active'] as const;

/** The scoring backlog in jobs (each holds up to READER_JOB_MAX_RECORDS records). */
export async function scoringBacklog(queue: Pick<Queue, 'getJobCounts'>): Promise<number> {
  const counts = await queue.getJobCounts(...BACKLOG_STATES);
  return BACKLOG_STATES.reduce((sum, state) => sum + (counts[state] ?? 0), 0);
}
