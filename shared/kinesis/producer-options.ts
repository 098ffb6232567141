import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import { MAX_BYTES_PER_PUT, MAX_BYTES_PER_RECORD, MAX_RECORDS_PER_PUT } from './constants.js';
import { stripUndefined } from './consumer-options.js';
import { InvalidOptionError } from './errors.js';

/** Everything a `KinesisProducer` is built from. Sizes in bytes, times in milliseconds. */
export interface KinesisProducerOptions {
  /** Injected, never built here (see `shared/aws/clients.ts`). */
  readonly kinesis: KinesisClient;
  readonly streamName: string;
  /** @default a silent logger */
  readonly logger?: Logger;
  /** Entries per PutRecords call. @default 500 (the API's maximum) */
  readonly maxRecordsPerCall?: number;
  /** Bytes per call, data and partition keys. @default 5 MiB (the API's maximum) */
  readonly maxBytesPerCall?: number;
  /** Bytes per record, data and partition key; a larger record is refused with RecordTooLargeError. @default 1 MiB (the API's maximum) */
  readonly maxBytesPerRecord?: number;
  /**
   * PutRecords calls at once. When all are busy, records wait in the buffer and `put()` promises
   * take longer: that is the backpressure a caller awaiting them feels.
   * @default 4
   */
  readonly maxCallsInFlight?: number;
  /** How long a record may wait for others to share its call when the call is not full. @default 10 */
  readonly lingerMs?: number;
  /** Retries of one record (throttled, internal failure) before its `put()` rejects. @default 10 */
  readonly maxRetries?: number;
  /** First retry delay ceiling (full jitter, doubling). @default 100 */
  readonly backoffBaseMs?: number;
  /** @default 5_000 */
  readonly backoffMaxMs?: number;
  /**
   * Keep each partition key's records in `put()` order on the stream: at most one record per key
   * in flight (PutRecords does not keep order between entries, and a retried entry would land
   * after later ones). Turn off for bulk loads that do not need order (replays of history sorted
   * later), to send a key's records in parallel.
   * @default true
   */
  readonly preserveKeyOrder?: boolean;
}

export interface ResolvedProducerOptions extends Required<Omit<KinesisProducerOptions, 'logger'>> {
  readonly logger: Logger;
}

export function resolveProducerOptions(options: KinesisProducerOptions): ResolvedProducerOptions {
  const resolved: ResolvedProducerOptions = {
    maxRecordsPerCall: MAX_RECORDS_PER_PUT,
    maxBytesPerCall: MAX_BYTES_PER_PUT,
    maxBytesPerRecord: MAX_BYTES_PER_RECORD,
    maxCallsInFlight: 4,
    lingerMs: 10,
    maxRetries: 10,
    backoffBaseMs: 100,
    backoffMaxMs: 5_000,
    preserveKeyOrder: true,
    ...stripUndefined(options),
    logger: options.logger ?? silentLogger(),
  };
  if (typeof resolved.kinesis !== 'object' || resolved.kinesis === null) throw new InvalidOptionError('kinesis', 'must be a KinesisClient');
  if (typeof resolved.streamName !== 'string' || resolved.streamName === '') throw new InvalidOptionError('streamName', 'must be a non-empty string');
  const limits = { maxRecordsPerCall: MAX_RECORDS_PER_PUT, maxBytesPerCall: MAX_BYTES_PER_PUT, maxBytesPerRecord: MAX_BYTES_PER_RECORD } as const;
  for (const [key, max] of Object.entries(limits) as [keyof typeof limits, number][]) {
    const value = resolved[key];
    if (!Number.isInteger(value) || value < 1 || value > max) throw new InvalidOptionError(key, `must be an integer from 1 to ${max} (the API's limit), got ${value}`);
  }
  if (resolved.maxBytesPerRecord > resolved.maxBytesPerCall) throw new InvalidOptionError('maxBytesPerRecord', `must not exceed maxBytesPerCall (${resolved.maxBytesPerCall})`);
  for (const key of ['maxCallsInFlight', 'backoffBaseMs', 'backoffMaxMs'] as const) {
    if (!Number.isInteger(resolved[key]) || resolved[key] < 1) throw new InvalidOptionError(key, `must be a positive integer, got ${resolved[key]}`);
  }
  for (const key of ['lingerMs', 'maxRetries'] as const) {
    if (!Number.isInteger(resolved[key]) || resolved[key] < 0) throw new InvalidOptionError(key, `must be a non-negative integer, got ${resolved[key]}`);
  }
  if (resolved.backoffMaxMs < resolved.backoffBaseMs) throw new InvalidOptionError('backoffMaxMs', `must be at least backoffBaseMs (${resolved.backoffBaseMs})`);
  return resolved;
}
