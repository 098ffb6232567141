import type { S3Client } from '@aws-sdk/client-s3';
import { QUARANTINE_PREFIX } from '../../shared/analytics-schema.js';
import { putBytes } from '../lib/s3-objects.js';

export { QUARANTINE_PREFIX };

/** The reason object written next to each quarantined copy. */
export interface QuarantineNote {
  readonly sourceBucket: string;
  readonly objectKey: string;
  readonly reason: string;
  readonly message: string;
  readonly size: number;
  readonly etag?: string;
  readonly quarantinedAt: string;
}

export interface QuarantineOptions {
  readonly s3: S3Client;
  /** The analytics bucket: the batch job never writes to the archive, which only Firehose writes. */
  readonly bucket: string;
  /** @default 'quarantine/' */
  readonly prefix?: string;
}

/**
 * Sets unusable archive objects aside: the exact bytes at `quarantine/<archive key>` and a JSON
 * reason at `quarantine/<archive key>.reason.json`, so an operator can inspect, repair and put it
 * back. Writing twice writes the same two objects.
 */
export class Quarantine {
  public readonly prefix: string;

  public constructor(private readonly options: QuarantineOptions) {
    this.prefix = options.prefix ?? QUARANTINE_PREFIX;
  }

  public keyFor(objectKey: string): string {
    return `${this.prefix}${objectKey}`;
  }

  public async put(bytes: Uint8Array, note: QuarantineNote): Promise<string> {
    const key = this.keyFor(note.objectKey);
    await putBytes(this.options.s3, this.options.bucket, key, bytes, 'application/octet-stream');
    await putBytes(this.options.s3, this.options.bucket, `${key}.reason.json`, `${JSON.stringify(note, null, 2)}\n`, 'application/json');
    return key;
  }
}
