import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { DeleteStreamCommand } from '@aws-sdk/client-kinesis';
import { DeleteBucketCommand, DeleteObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { Queue } from 'bullmq';
import { localWorkerValues } from './start.js';
import type { LocalEnv } from './start.js';
import { provisionCatalog } from './provision.js';
import type { ProvisionedCatalog } from './provision.js';
import type { StreamName } from '../../shared/catalog.js';
import { createRedisConnection } from '../../workers/lib/redis.js';

export interface StackOptions {
  /** A stack name no one else uses (lower-case, short; see the catalog). */
  readonly stack: string;
  /** Shards per stream. @default raw 1, results 1 */
  readonly shards?: Partial<Record<StreamName, number>>;
  /** Another Redis for this stack's queue (a Redis the caller restarts). @default the environment's */
  readonly redisUrl?: string;
  /** AWS_* variables the workers get instead of the environment's (endpoints behind a proxy). */
  readonly workerAwsEnv?: Readonly<Record<string, string>>;
}

/** One stack of its own inside a running environment, as the runner and the workers see it. */
export interface IsolatedStack {
  /** The environment seen through this stack: its names, its Redis, its worker AWS variables. */
  readonly env: LocalEnv;
  /** Its names and the ARNs of its stream consumers. */
  readonly names: ProvisionedCatalog;
  /** Deletes the stack's streams, tables and buckets and obliterates its queue; safe to call twice. */
  cleanup(): Promise<void>;
}

/** A bucket must be empty before it can go (the raw archive of a replay scenario is not). */
async function emptyAndDeleteBucket(s3: S3Client, bucket: string): Promise<void> {
  for (;;) {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    const keys = (page.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [o.Key]));
    if (keys.length === 0) break;
    await Promise.all(keys.map((Key) => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key }))));
  }
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
}

/**
 * Provisions every catalog resource of a new stack in an environment that is already running and
 * returns the environment as that stack sees it, so `runLocal` and `LocalPipeline` work on it
 * unchanged and several benchmarks or fault scenarios share one set of emulators without touching
 * each other's data. `stop()` of the returned environment stops nothing: the caller owns the
 * environment; the stack's own resources go with `cleanup()`.
 */
export async function isolatedStack(base: LocalEnv, options: StackOptions): Promise<IsolatedStack> {
  const clients = base.clients();
  const redisUrl = options.redisUrl ?? base.redisUrl;
  let names: ProvisionedCatalog;
  try {
    names = await provisionCatalog(clients, { stack: options.stack, shards: { raw: 1, results: 1, ...options.shards } });
  } finally {
    clients.destroy();
  }
  const env: LocalEnv = {
    ...base,
    stack: options.stack,
    names,
    redisUrl,
    env: { ...base.env, ...options.workerAwsEnv },
    workerValues: localWorkerValues(options.stack, names, names.consumerArns, redisUrl),
    stop: () => Promise.resolve(),
  };
  let cleaning: Promise<void> | undefined;
  return {
    env,
    names,
    cleanup: () => {
      cleaning ??= (async () => {
        const c = base.clients();
        const redis = createRedisConnection({ url: redisUrl }, { maxRetriesPerRequest: 1, retryStrategy: () => null });
        redis.on('error', () => undefined);
        const queue = new Queue(names.queues.scoring, { connection: redis, prefix: names.queuePrefix });
        try {
          await queue.obliterate({ force: true }).catch(() => undefined);
          await Promise.allSettled([
            ...Object.values(names.streams).map((name) => c.kinesis.send(new DeleteStreamCommand({ StreamName: name, EnforceConsumerDeletion: true }))),
            ...Object.values(names.tables).map((name) => c.dynamodb.send(new DeleteTableCommand({ TableName: name }))),
            ...Object.values(names.buckets).map((name) => emptyAndDeleteBucket(c.s3, name)),
          ]);
        } finally {
          await queue.close().catch(() => undefined);
          redis.disconnect();
          c.destroy();
        }
      })();
      return cleaning;
    },
  };
}
