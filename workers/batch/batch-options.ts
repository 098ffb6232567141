import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { tmpdir } from 'node:os';
import { ENRICHED_PREFIX, RAW_ARCHIVE_PREFIX } from '../../shared/analytics-schema.js';
import type { Logger } from '../../shared/logger.js';
import { silentLogger } from '../../shared/logger.js';
import { BatchOptionError } from './errors.js';
import { QUARANTINE_PREFIX } from './quarantine.js';
import { DEFAULT_REFERENCE_DIR } from './reference-data.js';
import type { ViewScoreSource } from './view-scores.js';

/** Everything a `BatchJob` is built from. Sizes in bytes, times in milliseconds. */
export interface BatchJobOptions {
  /** Injected, never built here (see `shared/aws/clients.ts`). */
  readonly s3: S3Client;
  readonly dynamodb: DynamoDBClient;
  readonly rawArchiveBucket: string;
  readonly analyticsBucket: string;
  /** The manifest of processed archive objects (catalog `batchState`). */
  readonly batchStateTable: string;
  /** Where invalid archive lines go (catalog `rejects`). */
  readonly rejectsTable: string;
  /** The insights view, for the scored category and anomaly score; unset leaves those columns empty. */
  readonly viewTable?: string;
  /** Overrides the view lookups (tests). @default DynamoDB reads of `viewTable` */
  readonly viewScores?: ViewScoreSource;
  /** @default a silent logger */
  readonly logger?: Logger;
  /** @default 'raw/' */
  readonly rawPrefix?: string;
  /** @default 'enriched/' */
  readonly enrichedPrefix?: string;
  /** In the analytics bucket. @default 'quarantine/' */
  readonly quarantinePrefix?: string;
  /** Where the run's temporary folder is made (downloads, DuckDB spill). @default the OS temp folder */
  readonly workDir?: string;
  /**
   * Archive objects per chunk. Each chunk ends with its partitions written and its objects marked
   * done, so a long backlog makes durable progress and bounded memory.
   * @default 500
   */
  readonly maxObjectsPerChunk?: number;
  /** Compressed archive bytes per chunk. @default 256 MiB */
  readonly maxBytesPerChunk?: number;
  /** S3 downloads at once. @default 8 */
  readonly downloadConcurrency?: number;
  /** Reject, state and upload writes at once. @default 8 */
  readonly writeConcurrency?: number;
  /** DuckDB threads. @default the CPUs the process may use */
  readonly threads?: number;
  /** DuckDB memory limit, e.g. '2GB'. @default DuckDB's own */
  readonly memoryLimit?: string;
  /** Folder with merchants.csv, mcc-codes.csv and cities.csv. @default workers/batch/reference */
  readonly referenceDir?: string;
  /** How long the run lock holds without renewal. @default 600_000 */
  readonly lockTtlMs?: number;
}

export interface ResolvedBatchJobOptions extends Required<Omit<BatchJobOptions, 'viewTable' | 'viewScores' | 'logger' | 'memoryLimit'>> {
  readonly viewTable: string | undefined;
  readonly viewScores: ViewScoreSource | undefined;
  readonly memoryLimit: string | undefined;
  readonly logger: Logger;
}

/** Defaults first, then the caller's options; then each number is checked with a message naming it. */
export function resolveBatchJobOptions(options: BatchJobOptions): ResolvedBatchJobOptions {
  const resolved: ResolvedBatchJobOptions = {
    rawPrefix: RAW_ARCHIVE_PREFIX,
    enrichedPrefix: ENRICHED_PREFIX,
    quarantinePrefix: QUARANTINE_PREFIX,
    workDir: tmpdir(),
    maxObjectsPerChunk: 500,
    maxBytesPerChunk: 256 * 1024 * 1024,
    downloadConcurrency: 8,
    writeConcurrency: 8,
    threads: 0,
    referenceDir: DEFAULT_REFERENCE_DIR,
    lockTtlMs: 600_000,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
    viewTable: options.viewTable,
    viewScores: options.viewScores,
    memoryLimit: options.memoryLimit,
    logger: options.logger ?? silentLogger(),
  } as ResolvedBatchJobOptions;
  for (const key of ['rawArchiveBucket', 'analyticsBucket', 'batchStateTable', 'rejectsTable'] as const) {
    if (typeof resolved[key] !== 'string' || resolved[key] === '') throw new BatchOptionError(key, 'must be a non-empty string');
  }
  for (const key of ['maxObjectsPerChunk', 'maxBytesPerChunk', 'downloadConcurrency', 'writeConcurrency', 'lockTtlMs'] as const) {
    if (!Number.isInteger(resolved[key]) || resolved[key] < 1) throw new BatchOptionError(key, `must be a positive integer, got ${resolved[key]}`);
  }
  if (!Number.isInteger(resolved.threads) || resolved.threads < 0) throw new BatchOptionError('threads', `must be 0 (all CPUs) or a positive integer, got ${resolved.threads}`);
  for (const key of ['rawPrefix', 'enrichedPrefix', 'quarantinePrefix'] as const) {
    if (!resolved[key].endsWith('/')) throw new BatchOptionError(key, `must end with '/', got '${resolved[key]}'`);
  }
  if (resolved.quarantinePrefix.startsWith(resolved.enrichedPrefix) || resolved.enrichedPrefix.startsWith(resolved.quarantinePrefix)) {
    throw new BatchOptionError('quarantinePrefix', `must not overlap enrichedPrefix ('${resolved.enrichedPrefix}'): Athena would read the copies`);
  }
  return resolved;
}
