import type { S3Client } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { archiveObjectKey } from '../../shared/archive/archive-key.js';
import { putBytes } from '../../workers/lib/s3-objects.js';
import type { BufferedRecord } from './archive-buffer.js';
import { ArchiveWriteError } from './errors.js';

const NEWLINE = 0x0a;

/** GZIP NDJSON of records: each record's data followed by a newline (Firehose's AppendDelimiterToRecord). */
export function encodeArchiveObject(records: readonly BufferedRecord[]): Buffer {
  const size = records.reduce((n, r) => n + r.data.byteLength + 1, 0);
  const body = Buffer.allocUnsafe(size);
  let offset = 0;
  for (const record of records) {
    body.set(record.data, offset);
    offset += record.data.byteLength;
    body[offset] = NEWLINE;
    offset += 1;
  }
  return gzipSync(body);
}

export interface ArchiveWriterOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly deliveryStreamName: string;
  /** @default 'raw/' */
  readonly prefix?: string;
}

/** Writes one buffer's worth of records as one archive object under Firehose's key layout. */
export function archiveWriter(options: ArchiveWriterOptions): (records: readonly BufferedRecord[]) => Promise<string> {
  return async (records) => {
    const oldest = records.reduce((min, r) => (r.arrival.getTime() < min.getTime() ? r.arrival : min), records[0]?.arrival ?? new Date());
    const key = archiveObjectKey({ deliveryStreamName: options.deliveryStreamName, oldestArrival: oldest, uuid: randomUUID(), ...(options.prefix === undefined ? {} : { prefix: options.prefix }) });
    try {
      await putBytes(options.s3, options.bucket, key, encodeArchiveObject(records), 'application/octet-stream');
    } catch (error) {
      throw new ArchiveWriteError(key, records.length, { cause: error });
    }
    return key;
  };
}
