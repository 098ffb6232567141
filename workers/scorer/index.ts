import { Queue } from 'bullmq';
import { KinesisProducer } from '../../shared/kinesis/index.js';
import type { WorkerRole } from '../../shared/worker-env.js';
import { METRIC_STACK_DIMENSION, PIPELINE_METRICS } from '../../shared/metrics.js';
import { MetricsEmitter, PeriodicMetric } from '../lib/metrics.js';
import { createRedisConnection } from '../lib/redis.js';
import { RejectStore } from '../../shared/rejects/reject-store.js';
import { Lane } from '../../shared/schemas/transaction-change.js';
import { runCloseSteps } from '../runtime/close-steps.js';
import type { StartRole } from '../runtime/worker-runtime.js';
import { scoringBacklog } from './backlog.js';
import { inferenceThreadCount } from './inference/cpus.js';
import { InferencePool } from './inference/inference-pool.js';
import { ScoringProcessor } from './scoring-processor.js';
import { ScoringWorker } from './scoring-worker.js';

/** The scorer role: wiring only (connections, pool, producer, metrics); the logic is in the classes. */
export const start: StartRole<typeof WorkerRole.Scorer> = async ({ env, logger, aws, health }) => {
  const threads = inferenceThreadCount(env.INFERENCE_THREADS);
  // Registered first: /health answers while the models load, and must not say ok before they have.
  const loading: { pool?: InferencePool } = {};
  health.addCheck('inference', () => {
    if (loading.pool === undefined) throw new Error(`loading models into ${threads} inference thread(s)`);
    const stats = loading.pool.stats();
    if (stats.alive < stats.threads) throw new Error(`${stats.alive} of ${stats.threads} inference threads alive`);
    return stats;
  });
  const pool = await InferencePool.start({ threads, modelsDir: env.MODELS_DIR, logger });
  loading.pool = pool;
  const redisOptions = { url: env.REDIS_URL, authToken: env.REDIS_AUTH_TOKEN };
  const workerConnection = createRedisConnection({ ...redisOptions, connectionName: 'scorer:worker' });
  const queueConnection = createRedisConnection({ ...redisOptions, connectionName: 'scorer:metrics' });
  const queue = new Queue(env.SCORING_QUEUE_NAME, { connection: queueConnection, prefix: env.QUEUE_PREFIX });
  queue.on('error', (error: Error) => logger.warn({ err: error }, 'redis error (reconnecting)'));
  // Results of one user are not in order across jobs anyway (jobs run at once, on several scorers),
  // and the projector's writes do not depend on order; keeping it within a job would cost a
  // PutRecords round trip per record of the same user (measured: 174 calls instead of 8 for 3,000 records).
  const producerOn = (streamName: string) => new KinesisProducer({ kinesis: aws.kinesis, streamName, logger, preserveKeyOrder: false });
  const producers = { [Lane.Live]: producerOn(env.RESULTS_STREAM_NAME), [Lane.History]: producerOn(env.RESULTS_HISTORY_STREAM_NAME) } as const;
  const processor = new ScoringProcessor({
    scorer: pool,
    results: producers,
    rejectStore: new RejectStore({ dynamodb: aws.dynamodb, tableName: env.REJECTS_TABLE_NAME }),
    logger,
  });
  const worker = new ScoringWorker({
    connection: workerConnection,
    queueName: env.SCORING_QUEUE_NAME,
    prefix: env.QUEUE_PREFIX,
    processor,
    concurrency: env.SCORER_CONCURRENCY,
    logger,
  });
  // EMF lines on stdout with dimension Stack: what infra's scaling policy and alarms select on.
  const metrics = new MetricsEmitter({ enabled: env.METRICS_ENABLED, namespace: env.METRICS_NAMESPACE, dimensions: { [METRIC_STACK_DIMENSION]: env.INSIGHTS_STACK }, logger });
  const periodic = (name: string, measure: () => number | Promise<number>) => new PeriodicMetric({ metrics, name, measure, logger });
  const publisher = periodic(env.BACKLOG_METRIC_NAME, () => scoringBacklog(queue));
  // The alarms infra sets on failed and stalled jobs read these (counts per period, taken and reset;
  // close() takes a last count, so jobs that failed or stalled just before shutdown are still counted).
  const failedPublisher = periodic(PIPELINE_METRICS.jobsFailed, () => worker.takeFailedForGood());
  const stalledPublisher = periodic(PIPELINE_METRICS.jobsStalled, () => worker.takeStalled());
  health.addCheck('redis', () => {
    if (workerConnection.status !== 'ready' || queueConnection.status !== 'ready') {
      throw new Error(`redis not ready (worker ${workerConnection.status}, queue ${queueConnection.status})`);
    }
  });
  health.addCheck('worker', () => {
    if (!worker.isRunning()) throw new Error('scoring worker is not running');
    return { backlog: publisher.lastValue };
  });
  await worker.waitUntilReady();
  publisher.start();
  failedPublisher.start();
  stalledPublisher.start();
  logger.info({ threads, concurrency: env.SCORER_CONCURRENCY, models: pool.modelVersions, queue: env.SCORING_QUEUE_NAME }, 'scorer started');

  let closing: Promise<void> | undefined;
  return {
    close: () => {
      // Active jobs finish first (their results need the pool and the producer); each step runs even when an earlier one failed.
      closing ??= runCloseSteps(
        [
          ['worker', () => worker.close()],
          ['metrics', () => Promise.all([publisher.close(), failedPublisher.close(), stalledPublisher.close()])],
          ['producers', async () => Promise.all([producers.live.close(), producers.history.close()])],
          ['inference pool', () => pool.close()],
          ['queue', () => queue.close()],
          ['redis', async () => Promise.all([workerConnection.quit(), queueConnection.quit()])],
        ],
        logger,
      );
      return closing;
    },
  };
};
