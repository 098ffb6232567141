import type { S3Client } from '@aws-sdk/client-s3';
import { decodeArchiveObject, QuarantineReason } from '../../shared/archive/archive-object.js';
import { CorruptObjectError } from '../../shared/archive/errors.js';
import type { Logger } from '../../shared/logger.js';
import { buildRejectRecord, RejectStage } from '../../shared/rejects/reject-record.js';
import type { RejectStore } from '../../shared/rejects/reject-store.js';
import { mapLimit } from '../lib/concurrency.js';
import { getBytes } from '../lib/s3-objects.js';
import type { ListedObject } from '../lib/s3-objects.js';
import { checkArchiveLine } from './archive-line.js';
import type { BatchStateStore } from './batch-state.js';
import { ObjectStatus } from './batch-state.js';
import type { Quarantine } from './quarantine.js';
import type { StagedLine } from './staged-table.js';

/** One archive object read: its valid lines, ready to stage, and its counts. */
export interface ReadObject {
  readonly object: ListedObject;
  readonly staged: StagedLine[];
  /** Lines in the object (empty lines left out). */
  readonly lines: number;
  /** Lines that failed validation; each is in the reject store. */
  readonly rejected: number;
}

export interface ArchiveObjectReaderOptions {
  readonly s3: S3Client;
  readonly rawArchiveBucket: string;
  readonly rejects: RejectStore;
  readonly quarantine: Quarantine;
  /** Where a quarantined object is marked done (so no run reads it again). */
  readonly state: BatchStateStore;
  /** Reject writes at once. */
  readonly writeConcurrency: number;
  readonly logger: Logger;
}

/**
 * Reads one raw archive object: downloads it, decodes it (GZIP NDJSON), checks every line with the
 * crawler's rules and puts the invalid ones in the reject store. An object that is not an archive
 * object at all (not GZIP, not UTF-8, no JSON line) is copied to the quarantine and marked so,
 * instead of stopping the run.
 */
export class ArchiveObjectReader {
  public constructor(private readonly options: ArchiveObjectReaderOptions) {}

  /** The object's valid lines and counts; undefined when it was quarantined (and marked so). */
  public async read(object: ListedObject): Promise<ReadObject | undefined> {
    const bytes = await getBytes(this.options.s3, this.options.rawArchiveBucket, object.key);
    let lines: string[];
    try {
      lines = decodeArchiveObject(object.key, bytes);
    } catch (error) {
      if (!(error instanceof CorruptObjectError)) throw error;
      await this.quarantineObject(object, bytes, error.reason, error.message);
      return undefined;
    }
    const staged: StagedLine[] = [];
    const rejects: { line: number; raw: string; code: string; message: string; transactionId?: string }[] = [];
    let json = 0;
    lines.forEach((raw, index) => {
      const outcome = checkArchiveLine(raw);
      if (outcome.ok) {
        staged.push({ row: outcome.row, objectKey: object.key, line: index + 1 });
        json += 1;
        return;
      }
      if (outcome.json) json += 1;
      rejects.push({ line: index + 1, raw, code: outcome.code, message: outcome.message, ...(outcome.transactionId === undefined ? {} : { transactionId: outcome.transactionId }) });
    });
    if (lines.length === 0 || json === 0) {
      // Nothing in it is even JSON: not an archive object gone slightly wrong but the wrong thing.
      await this.quarantineObject(object, bytes, lines.length === 0 ? QuarantineReason.Empty : QuarantineReason.NotNdjson, `none of its ${lines.length} lines is JSON`);
      return undefined;
    }
    await mapLimit(rejects, this.options.writeConcurrency, (reject) =>
      this.options.rejects.put(
        buildRejectRecord({
          code: reject.code,
          message: reject.message,
          stage: RejectStage.Batch,
          source: { objectKey: object.key, line: reject.line },
          raw: reject.raw,
          ...(reject.transactionId === undefined ? {} : { transactionId: reject.transactionId }),
        }),
      ),
    );
    return { object, staged, lines: lines.length, rejected: rejects.length };
  }

  private async quarantineObject(object: ListedObject, bytes: Uint8Array, reason: string, message: string): Promise<void> {
    const quarantinedAt = new Date().toISOString();
    const quarantineKey = await this.options.quarantine.put(bytes, {
      sourceBucket: this.options.rawArchiveBucket,
      objectKey: object.key,
      reason,
      message,
      size: bytes.byteLength,
      ...(object.etag === undefined ? {} : { etag: object.etag }),
      quarantinedAt,
    });
    await this.options.state.mark({
      objectKey: object.key,
      status: ObjectStatus.Quarantined,
      processedAt: quarantinedAt,
      size: bytes.byteLength,
      ...(object.etag === undefined ? {} : { etag: object.etag }),
      rowsIn: 0,
      rejected: 0,
      reason,
      quarantineKey,
    });
    this.options.logger.warn({ objectKey: object.key, reason, message, quarantineKey }, 'archive object quarantined');
  }
}
