import type { Logger } from '../../shared/logger.js';
import { deliveryStreamName } from '../../shared/archive/archive-key.js';
import type { LocalEnv } from '../env/start.js';
import type { LocalArchiverOptions } from './archiver-options.js';
import { LocalArchiver } from './local-archiver.js';

export interface StartLocalArchiverOptions {
  /** @default 1_000 ms locally, so a run's records are archived soon after they arrive */
  readonly bufferIntervalMs?: number;
  /** @default 5 MiB */
  readonly bufferSizeBytes?: number;
  readonly logger?: Logger;
  readonly consumer?: LocalArchiverOptions['consumer'];
}

/**
 * Starts the local archiver in this process against a local environment's raw stream and archive
 * bucket. The returned archiver owns its clients; `close()` flushes, releases and destroys them.
 */
export async function startLocalArchiver(env: LocalEnv, options: StartLocalArchiverOptions = {}): Promise<LocalArchiver> {
  // The archiver stands in for Firehose and acts as Firehose's role (plus the leases it keeps locally).
  const clients = env.clientsFor('firehose');
  const archiver = new LocalArchiver({
    kinesis: clients.kinesis,
    dynamodb: clients.dynamodb,
    s3: clients.s3,
    streamName: env.names.streams.raw,
    leaseTableName: env.names.tables.leases,
    bucket: env.names.buckets.rawArchive,
    deliveryStreamName: deliveryStreamName(env.stack),
    bufferIntervalMs: options.bufferIntervalMs ?? 1_000,
    ...(options.bufferSizeBytes === undefined ? {} : { bufferSizeBytes: options.bufferSizeBytes }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    consumer: { idleTimeBetweenReadsMs: 1_000, ...options.consumer },
    onClosed: () => clients.destroy(),
  });
  try {
    await archiver.start();
  } catch (error) {
    await archiver.close();
    throw error;
  }
  return archiver;
}
