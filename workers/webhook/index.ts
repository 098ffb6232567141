import { Queue } from 'bullmq';
import { METRIC_STACK_DIMENSION, PIPELINE_METRICS } from '../../shared/metrics.js';
import type { SyncJobData } from '../../shared/sync/sync-job.js';
import { MetricsEmitter, PeriodicMetric } from '../lib/metrics.js';
import { createRedisConnection } from '../lib/redis.js';
import type { StartRole } from '../runtime/worker-runtime.js';
import { WebhookReceiver } from './receiver.js';
import { WebhookVerifier } from './verifier.js';

/**
 * The webhook role: the broker's webhooks in, verified, as coalesced sync jobs on the sync queue
 * for the crawler fleet. Thin wiring; the logic is in `WebhookVerifier` and `WebhookReceiver`.
 */
export const start: StartRole<'webhook'> = async ({ env, logger, health }) => {
  const redis = createRedisConnection({ url: env.REDIS_URL, authToken: env.REDIS_AUTH_TOKEN, connectionName: 'webhook' });
  const queue = new Queue<SyncJobData>(env.SYNC_QUEUE_NAME, { connection: redis, prefix: env.QUEUE_PREFIX });
  const receiver = new WebhookReceiver({
    verifier: new WebhookVerifier({ keys: new URL(env.WEBHOOK_JWKS_URL), maxAgeSeconds: env.WEBHOOK_MAX_AGE_SECONDS }),
    queue,
    logger,
  });
  const metrics = new MetricsEmitter({ enabled: env.METRICS_ENABLED, namespace: env.METRICS_NAMESPACE, dimensions: { [METRIC_STACK_DIMENSION]: env.INSIGHTS_STACK }, logger });
  // A counter per period: the alarm on refused webhooks (forgery, a key rotated wrongly, clock skew) reads it.
  const refused = new PeriodicMetric({ metrics, name: PIPELINE_METRICS.webhooksRefused, measure: () => receiver.takeRefused() });
  const port = await receiver.listen(env.WEBHOOK_PORT, env.WEBHOOK_HOST);
  refused.start();
  health.addCheck('webhook', () => receiver.stats());
  logger.info({ port, queue: env.SYNC_QUEUE_NAME }, 'webhook endpoint listening');
  return {
    close: async () => {
      await receiver.close();
      await refused.close().catch(() => undefined);
      await queue.close().catch(() => undefined);
      await redis.quit().catch(() => undefined);
    },
  };
};
