import { lagMetric } from '../lib/lag-metric.js';
import type { StartRole } from '../runtime/worker-runtime.js';
import { FanOutLinger, ShardReadBudget } from '../../shared/kinesis/constants.js';
import { RejectStore } from '../../shared/rejects/reject-store.js';
import { Lane } from '../../shared/schemas/transaction-change.js';
import type { LaneName } from '../../shared/schemas/transaction-change.js';
import { PROJECTOR_APPLICATIONS, Projector } from './projector.js';
import { roleHealth } from './role-health.js';

/**
 * The projector role: both lanes' results streams into the insights view. Thin wiring; the logic is in
 * `Projector` (consumer and rejects) and `ViewWriter` (one idempotent item per version).
 */
export const start: StartRole<'projector'> = async ({ env, logger, aws, health }) => {
  const rejectStore = new RejectStore({ dynamodb: aws.dynamodb, tableName: env.REJECTS_TABLE_NAME });
  // One consumer per lane's results stream, each with its own leases: a live shard's batches are
  // never queued behind a backfill's. Both write the one view, whose items do not depend on order.
  const projectorOf = (lane: LaneName, streamName: string, consumerArn?: string): Projector =>
    new Projector({
      kinesis: aws.kinesis,
      dynamodb: aws.dynamodb,
      streamName,
      applicationName: PROJECTOR_APPLICATIONS[lane],
      leaseTableName: env.LEASE_TABLE_NAME,
      viewTableName: env.VIEW_TABLE_NAME,
      rejectStore,
      logger: logger.child({ lane }),
      consumer: {
        failoverTimeMs: env.LEASE_FAILOVER_MS,
        idleTimeBetweenReadsMs: env.READ_IDLE_MS,
        ...(consumerArn === undefined ? {} : { fanOut: { consumerArn, kinesis: aws.kinesisFanOut, lingerMs: FanOutLinger.projector } }),
        // Polling (the history lane), the projector is the stream's one reader; one call a second stays spare.
        maxGetRecordsPerSecond: ShardReadBudget.projector,
        maxRecordsPerCall: env.GET_RECORDS_LIMIT,
        // Leave part of the process's budget for the checkpoint and the lease release after draining.
        shutdownTimeoutMs: Math.max(1_000, Math.floor(env.SHUTDOWN_TIMEOUT_MS * 0.6)),
      },
    });
  // The live lane is pushed (enhanced fan-out: its scored → view hop is the product's latency); the history lane polls.
  const projectors = { [Lane.Live]: projectorOf(Lane.Live, env.RESULTS_STREAM_NAME, env.RESULTS_CONSUMER_ARN), [Lane.History]: projectorOf(Lane.History, env.RESULTS_HISTORY_STREAM_NAME) } as const;
  const projector = projectors.live;
  // The lag the projectors scale and alarm on is the live lane's (a backfill is behind by design).
  const lag = lagMetric({ env, role: 'projector', consumerMetrics: () => projector.consumerMetrics(), logger });
  health.addCheck('projector', () => roleHealth(projectors));
  await Promise.all([projectors.live.start(), projectors.history.start()]);
  lag.start();
  logger.info({ streams: [env.RESULTS_STREAM_NAME, env.RESULTS_HISTORY_STREAM_NAME], view: env.VIEW_TABLE_NAME }, 'projector started');
  return {
    close: async () => {
      // A last lag reading while the shards are still read; a metric never stops the drain.
      await lag.close().catch(() => undefined);
      await Promise.all([projectors.live.close(), projectors.history.close()]);
    },
  };
};
