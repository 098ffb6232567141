import { lagMetric } from '../lib/lag-metric.js';
import type { StartRole } from '../runtime/worker-runtime.js';
import { ShardReadBudget } from '../../shared/kinesis/constants.js';
import { RejectStore } from '../../shared/rejects/reject-store.js';
import { Projector } from './projector.js';

/**
 * The projector role: the results stream into the insights view. Thin wiring; the logic is in
 * `Projector` (consumer and rejects) and `ViewWriter` (one idempotent item per version).
 */
export const start: StartRole<'projector'> = async ({ env, logger, aws, health }) => {
  const projector = new Projector({
    kinesis: aws.kinesis,
    dynamodb: aws.dynamodb,
    streamName: env.RESULTS_STREAM_NAME,
    leaseTableName: env.LEASE_TABLE_NAME,
    viewTableName: env.VIEW_TABLE_NAME,
    rejectStore: new RejectStore({ dynamodb: aws.dynamodb, tableName: env.REJECTS_TABLE_NAME }),
    logger,
    consumer: {
      failoverTimeMs: env.LEASE_FAILOVER_MS,
      idleTimeBetweenReadsMs: env.READ_IDLE_MS,
      // The projector is the results stream's one reader; one call a second stays spare.
      maxGetRecordsPerSecond: ShardReadBudget.projector,
      maxRecordsPerCall: env.GET_RECORDS_LIMIT,
      // Leave part of the process's budget for the checkpoint and the lease release after draining.
      shutdownTimeoutMs: Math.max(1_000, Math.floor(env.SHUTDOWN_TIMEOUT_MS * 0.6)),
    },
  });
  const lag = lagMetric({ env, role: 'projector', consumerMetrics: () => projector.consumerMetrics(), logger });
  health.addCheck('projector', () => projector.health());
  await projector.start();
  lag.start();
  logger.info({ stream: env.RESULTS_STREAM_NAME, view: env.VIEW_TABLE_NAME }, 'projector started');
  return {
    close: async () => {
      // A last lag reading while the shards are still read; a metric never stops the drain.
      await lag.close().catch(() => undefined);
      await projector.close();
    },
  };
};
