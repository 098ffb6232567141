import { Queue, QueueEvents } from 'bullmq';
import { FanOutLinger } from '../../shared/kinesis/constants.js';
import type { WorkerRole } from '../../shared/worker-env.js';
import { lagMetric } from '../lib/lag-metric.js';
import { createRedisConnection } from '../lib/redis.js';
import { RejectStore } from '../../shared/rejects/reject-store.js';
import { runCloseSteps } from '../runtime/close-steps.js';
import type { StartRole } from '../runtime/worker-runtime.js';
import type { ScoringJobData, ScoringJobResult } from '../../shared/scoring-job.js';
import { JobCompletionTracker } from './job-tracker.js';
import { ScoringDispatcher } from './scoring-dispatcher.js';
import { STREAM_READER_APPLICATIONS, StreamReader } from './stream-reader.js';
import { Lane } from '../../shared/schemas/transaction-change.js';
import type { LaneName } from '../../shared/schemas/transaction-change.js';

/** Part of SHUTDOWN_TIMEOUT_MS the consumer may spend draining; the rest is for the last checkpoint, release and closing connections. */
const DRAIN_SHARE = 0.7;

/** The stream-reader role: wiring only (connections, queue, reject store); the logic is in the classes. */
export const start: StartRole<typeof WorkerRole.StreamReader> = async ({ env, logger, aws, health }) => {
  const redisOptions = { url: env.REDIS_URL, authToken: env.REDIS_AUTH_TOKEN };
  const queueConnection = createRedisConnection({ ...redisOptions, connectionName: 'stream-reader:queue' });
  // QueueEvents blocks on XREAD, so it needs a connection of its own.
  const eventsConnection = createRedisConnection({ ...redisOptions, connectionName: 'stream-reader:events' });
  const queue = new Queue<ScoringJobData, ScoringJobResult>(env.SCORING_QUEUE_NAME, { connection: queueConnection, prefix: env.QUEUE_PREFIX });
  const queueEvents = new QueueEvents(env.SCORING_QUEUE_NAME, { connection: eventsConnection, prefix: env.QUEUE_PREFIX });
  const onRedisError = (error: Error): void => logger.warn({ err: error }, 'redis error (reconnecting)');
  queue.on('error', onRedisError);
  queueEvents.on('error', onRedisError);
  const tracker = new JobCompletionTracker({ queue, queueEvents, logger });
  const rejectStore = new RejectStore({ dynamodb: aws.dynamodb, tableName: env.REJECTS_TABLE_NAME });
  // One consumer per lane's raw stream, each with its own leases, dispatcher and in-flight window:
  // a backfill's jobs never hold the slots of a live shard. Both add to the one scoring queue, where
  // history jobs carry a priority that lets live ones pass.
  const readerOf = (lane: LaneName, streamName: string, consumerArn?: string): StreamReader =>
    new StreamReader({
      kinesis: aws.kinesis,
      dynamodb: aws.dynamodb,
      streamName,
      ...(consumerArn === undefined ? {} : { fanOut: { consumerArn, kinesis: aws.kinesisFanOut, lingerMs: FanOutLinger.streamReader } }),
      applicationName: STREAM_READER_APPLICATIONS[lane],
      leaseTableName: env.LEASE_TABLE_NAME,
      dispatcher: new ScoringDispatcher({
        queue,
        tracker,
        rejectStore,
        streamName,
        lane,
        maxRecordsPerJob: env.READER_JOB_MAX_RECORDS,
        maxInFlightJobsPerShard: env.READER_MAX_IN_FLIGHT_JOBS,
        logger,
      }),
      failoverTimeMs: env.LEASE_FAILOVER_MS,
      idleTimeBetweenReadsMs: env.READ_IDLE_MS,
      getRecordsLimit: env.GET_RECORDS_LIMIT,
      shutdownTimeoutMs: Math.floor(env.SHUTDOWN_TIMEOUT_MS * DRAIN_SHARE),
      logger: logger.child({ lane }),
    });
  // The live lane is pushed (enhanced fan-out: its latency is the product's); the history lane polls.
  const readers = { [Lane.Live]: readerOf(Lane.Live, env.RAW_STREAM_NAME, env.RAW_CONSUMER_ARN), [Lane.History]: readerOf(Lane.History, env.RAW_HISTORY_STREAM_NAME) } as const;
  const reader = readers.live;
  // The lag the readers scale and alarm on is the live lane's: a backfill is behind by design while
  // it runs; the history stream's iterator-age alarm watches that it moves at all.
  const lag = lagMetric({ env, role: 'stream-reader', consumerMetrics: () => reader.metrics().consumer, logger });
  health.addCheck('redis', () => {
    if (queueConnection.status !== 'ready' || eventsConnection.status !== 'ready') {
      throw new Error(`redis not ready (queue ${queueConnection.status}, events ${eventsConnection.status})`);
    }
  });
  health.addCheck('consumer', () => {
    const { consumer, jobsInFlight } = reader.metrics();
    const history = readers.history.metrics();
    return {
      leasesHeld: consumer.leasesHeld,
      recordsPerSecond: consumer.recordsPerSecond,
      jobsInFlight,
      millisBehindLatest: lag.lastValue,
      history: { leasesHeld: history.consumer.leasesHeld, recordsPerSecond: history.consumer.recordsPerSecond, jobsInFlight: history.jobsInFlight },
    };
  });
  await queueEvents.waitUntilReady();
  await Promise.all([readers.live.start(), readers.history.start()]);
  lag.start();
  logger.info({ workerIds: [readers.live.workerId, readers.history.workerId], queue: env.SCORING_QUEUE_NAME }, 'stream-reader started');

  let closing: Promise<void> | undefined;
  return {
    close: () => {
      // Each step runs even when an earlier one failed; connections close last.
      closing ??= runCloseSteps(
        [
          // A last lag reading while the shards are still read (after, the worker reads none).
          ['lag metric', () => lag.close()],
          ['consumers', async () => Promise.all([readers.live.close(), readers.history.close()])],
          ['tracker', () => tracker.close()],
          ['queue events', () => queueEvents.close()],
          ['queue', () => queue.close()],
          ['redis', async () => Promise.all([queueConnection.quit(), eventsConnection.quit()])],
        ],
        logger,
      );
      return closing;
    },
  };
};
