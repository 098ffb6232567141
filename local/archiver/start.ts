import type { Logger } from '../../shared/logger.js';
import { LANE_STREAMS } from '../../shared/catalog.js';
import { deliveryStreamName } from '../../shared/archive/archive-key.js';
import type { ArchivedStream } from '../../shared/archive/archive-key.js';
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

/** The stand-ins for both lanes' delivery streams, drained and closed together. */
export interface RawArchivers {
  /** One per lane's raw stream. */
  readonly archivers: Readonly<Record<ArchivedStream, LocalArchiver>>;
  /** Resolves once both have written every record that was on their streams when it was called. */
  drain(timeoutMs?: number): Promise<void>;
  /** Flushes, checkpoints and releases both. Idempotent. */
  close(): Promise<void>;
}

/** Lease-table partition per archived stream: two streams' `shardId-000000000000` must not share a lease. */
const APPLICATION: Readonly<Record<ArchivedStream, string>> = { raw: 'archiver', rawHistory: 'archiver-history' };

/**
 * Starts the local stand-in for Firehose in this process: one archiver per lane's raw stream (AWS
 * runs one delivery stream per Kinesis source), both into the archive bucket under the same prefix,
 * each object named after its delivery stream. The archivers own their clients; `close()` flushes,
 * releases and destroys them.
 */
export async function startLocalArchiver(env: LocalEnv, options: StartLocalArchiverOptions = {}): Promise<RawArchivers> {
  const startOne = async (stream: ArchivedStream): Promise<LocalArchiver> => {
    // The archiver stands in for Firehose and acts as Firehose's role (plus the leases it keeps locally).
    const clients = env.clientsFor('firehose');
    const archiver = new LocalArchiver({
      kinesis: clients.kinesis,
      dynamodb: clients.dynamodb,
      s3: clients.s3,
      streamName: env.names.streams[stream],
      applicationName: APPLICATION[stream],
      leaseTableName: env.names.tables.leases,
      bucket: env.names.buckets.rawArchive,
      deliveryStreamName: deliveryStreamName(env.stack, stream),
      bufferIntervalMs: options.bufferIntervalMs ?? 1_000,
      ...(options.bufferSizeBytes === undefined ? {} : { bufferSizeBytes: options.bufferSizeBytes }),
      ...(options.logger === undefined ? {} : { logger: options.logger.child({ stream }) }),
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
  };
  const started = await Promise.allSettled([startOne(LANE_STREAMS.live.raw), startOne(LANE_STREAMS.history.raw)]);
  const [live, history] = started;
  if (live.status === 'rejected' || history.status === 'rejected') {
    await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.close() : undefined)));
    throw live.status === 'rejected' ? live.reason : (history as PromiseRejectedResult).reason;
  }
  const archivers = { raw: live.value, rawHistory: history.value } as const;
  let closing: Promise<void> | undefined;
  return {
    archivers,
    drain: async (timeoutMs) => {
      await Promise.all([archivers.raw.drain(timeoutMs), archivers.rawHistory.drain(timeoutMs)]);
    },
    close: () => {
      closing ??= Promise.all([archivers.raw.close(), archivers.rawHistory.close()]).then(() => undefined);
      return closing;
    },
  };
}
