import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../shared/logger.js';
import { RejectStore } from '../../shared/rejects/reject-store.js';
import { mapLimit } from '../lib/concurrency.js';
import { listObjects } from '../lib/s3-objects.js';
import type { ListedObject } from '../lib/s3-objects.js';
import type { ResolvedBatchJobOptions, BatchJobOptions } from './batch-options.js';
import { resolveBatchJobOptions } from './batch-options.js';
import { BatchStateStore, ObjectStatus } from './batch-state.js';
import { DuckDbSession } from './duckdb-session.js';
import { ArchiveObjectReader } from './object-reader.js';
import { PartitionWriter } from './partition-writer.js';
import { Quarantine } from './quarantine.js';
import { loadReferenceData } from './reference-data.js';
import { RunLock } from './run-lock.js';
import { STAGED, VIEW_SCORES } from './staged-table.js';
import { DynamoViewScores, NO_VIEW_SCORES } from './view-scores.js';

/** What a run did. Row counts are lines and rows, not bytes. */
export interface BatchSummary {
  /** Archive objects handled this run: processed plus quarantined. */
  readonly objects: number;
  readonly quarantined: number;
  /** Lines read from the processed objects. */
  readonly rowsIn: number;
  /** Lines that failed validation (each one is in the reject store). */
  readonly rejected: number;
  /** Valid rows whose transactionId was already in its partition or earlier in this run. */
  readonly duplicates: number;
  /** Rows new to the enriched output. */
  readonly rowsAdded: number;
  /** Rows in the Parquet files this run wrote (whole partitions, old rows included), counted by DuckDB. */
  readonly rowsOut: number;
  /** Partitions (re)written, as `year=YYYY/month=MM/day=DD`. */
  readonly partitions: readonly string[];
  readonly seconds: number;
}

export interface BatchProgress {
  readonly phase: 'listing' | 'reading' | 'writing' | 'done';
  readonly objectsTotal: number;
  readonly objectsDone: number;
  readonly rowsIn: number;
  readonly rejected: number;
  readonly partitions: number;
}

export interface BatchRunOptions {
  readonly onProgress?: (progress: BatchProgress) => void;
  /**
   * Stops the run early (SIGTERM): objects not yet read stay pending, and what was read is written
   * and marked done first, so the run ends durable and the next one carries on.
   */
  readonly signal?: AbortSignal;
}

interface Counters {
  objects: number;
  quarantined: number;
  rowsIn: number;
  rejected: number;
  duplicates: number;
  rowsAdded: number;
  rowsOut: number;
  partitions: Set<string>;
  objectsTotal: number;
}

/** What is kept of an object once its rows are in DuckDB: counts only, so a chunk's memory stays in DuckDB. */
interface ObjectCounts {
  readonly object: ListedObject;
  readonly valid: number;
  readonly lines: number;
  readonly rejected: number;
}

/**
 * The batch job: turns raw archive objects (GZIP NDJSON of raw records) not yet in the batchState
 * manifest into enriched, Hive-partitioned Parquet (`enriched/year=/month=/day=/`) in the analytics
 * bucket. Each line is validated with the crawler's own rules (invalid ones go to the reject store),
 * rows are deduplicated by transactionId within the run and against the partition they land in,
 * enriched in DuckDB with the merchant reference data and the view's scores, and every touched
 * partition is rewritten whole (existing rows plus new ones), so late data lands and a rerun
 * changes nothing. Unreadable objects are quarantined and do not stop the rest.
 *
 * @example
 * const job = new BatchJob({ s3, dynamodb, rawArchiveBucket, analyticsBucket, batchStateTable, rejectsTable, viewTable });
 * const summary = await job.run({ onProgress: (p) => console.error(p.objectsDone, p.objectsTotal) });
 */
export class BatchJob {
  private readonly options: ResolvedBatchJobOptions;
  private readonly log: Logger;
  private readonly state: BatchStateStore;
  private readonly reader: ArchiveObjectReader;
  private readonly writer: PartitionWriter;

  public constructor(options: BatchJobOptions) {
    const o = resolveBatchJobOptions(options);
    this.options = o;
    this.log = o.logger.child({ component: 'batch-job' });
    this.state = new BatchStateStore({ dynamodb: o.dynamodb, tableName: o.batchStateTable });
    this.reader = new ArchiveObjectReader({
      s3: o.s3,
      rawArchiveBucket: o.rawArchiveBucket,
      rejects: new RejectStore({ dynamodb: o.dynamodb, tableName: o.rejectsTable }),
      quarantine: new Quarantine({ s3: o.s3, bucket: o.analyticsBucket, prefix: o.quarantinePrefix }),
      state: this.state,
      writeConcurrency: o.writeConcurrency,
      logger: this.log,
    });
    this.writer = new PartitionWriter({
      s3: o.s3,
      analyticsBucket: o.analyticsBucket,
      enrichedPrefix: o.enrichedPrefix,
      downloadConcurrency: o.downloadConcurrency,
      writeConcurrency: o.writeConcurrency,
      viewScores: o.viewScores ?? (o.viewTable === undefined ? NO_VIEW_SCORES : new DynamoViewScores({ dynamodb: o.dynamodb, tableName: o.viewTable })),
      logger: this.log,
    });
  }

  /** Processes every archive object not yet done; resolves with what it did. */
  public async run(runOptions: BatchRunOptions = {}): Promise<BatchSummary> {
    const started = performance.now();
    const runId = randomUUID();
    const counters: Counters = { objects: 0, quarantined: 0, rowsIn: 0, rejected: 0, duplicates: 0, rowsAdded: 0, rowsOut: 0, partitions: new Set(), objectsTotal: 0 };
    const report = (phase: BatchProgress['phase']): void =>
      runOptions.onProgress?.({
        phase,
        objectsTotal: counters.objectsTotal,
        objectsDone: counters.objects,
        rowsIn: counters.rowsIn,
        rejected: counters.rejected,
        partitions: counters.partitions.size,
      });

    const lock = new RunLock({ dynamodb: this.options.dynamodb, tableName: this.options.batchStateTable, runId, ttlMs: this.options.lockTtlMs });
    await lock.acquire();
    const workDir = mkdtempSync(join(this.options.workDir, 'insights-batch-'));
    let db: DuckDbSession | undefined;
    try {
      report('listing');
      const pending = await this.pendingObjects();
      counters.objectsTotal = pending.length;
      this.log.info({ runId, pending: pending.length }, 'batch run starting');
      if (pending.length > 0) {
        db = await DuckDbSession.open({ workDir, ...(this.options.threads > 0 ? { threads: this.options.threads } : {}), ...(this.options.memoryLimit === undefined ? {} : { memoryLimit: this.options.memoryLimit }) });
        await loadReferenceData(db, this.options.referenceDir);
        await db.run(STAGED.createSql());
        await db.run(VIEW_SCORES.createSql());
        for (const chunk of this.chunks(pending)) {
          if (runOptions.signal?.aborted) break;
          await this.processChunk(db, chunk, join(workDir, `chunk-${counters.objects}`), counters, report, runOptions.signal);
        }
      }
    } finally {
      db?.close();
      rmSync(workDir, { recursive: true, force: true });
      await lock.release().catch((error: unknown) => this.log.warn({ err: error }, 'could not release the run lock; it expires on its own'));
    }
    report('done');
    const summary: BatchSummary = {
      objects: counters.objects,
      quarantined: counters.quarantined,
      rowsIn: counters.rowsIn,
      rejected: counters.rejected,
      duplicates: counters.duplicates,
      rowsAdded: counters.rowsAdded,
      rowsOut: counters.rowsOut,
      partitions: [...counters.partitions].sort(),
      seconds: Math.round((performance.now() - started) / 10) / 100,
    };
    this.log.info({ runId, summary: { ...summary, partitions: summary.partitions.length } }, 'batch run finished');
    return summary;
  }

  /** Archive objects under the raw prefix with no batchState item, oldest key first. */
  private async pendingObjects(): Promise<ListedObject[]> {
    const listed: ListedObject[] = [];
    for await (const object of listObjects(this.options.s3, this.options.rawArchiveBucket, this.options.rawPrefix)) {
      if (!object.key.endsWith('/')) listed.push(object);
    }
    const done = await this.state.done(listed.map((o) => o.key));
    return listed.filter((o) => !done.has(o.key));
  }

  private *chunks(objects: readonly ListedObject[]): Generator<ListedObject[]> {
    let chunk: ListedObject[] = [];
    let bytes = 0;
    for (const object of objects) {
      if (chunk.length > 0 && (chunk.length >= this.options.maxObjectsPerChunk || bytes + object.size > this.options.maxBytesPerChunk)) {
        yield chunk;
        chunk = [];
        bytes = 0;
      }
      chunk.push(object);
      bytes += object.size;
    }
    if (chunk.length > 0) yield chunk;
  }

  private async processChunk(
    db: DuckDbSession,
    chunk: readonly ListedObject[],
    chunkDir: string,
    counters: Counters,
    report: (phase: BatchProgress['phase']) => void,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const chunkStarted = performance.now();
    mkdirSync(chunkDir, { recursive: true });
    await db.run(`DELETE FROM ${STAGED.name}`);
    await db.run(`DELETE FROM ${VIEW_SCORES.name}`);
    const appender = await db.connection.createAppender(STAGED.name);
    const processed: ObjectCounts[] = [];
    let appendMs = 0;
    try {
      await mapLimit(chunk, this.options.downloadConcurrency, async (object) => {
        if (signal?.aborted) return;
        const read = await this.reader.read(object);
        if (read !== undefined) {
          // Appends are synchronous, so objects never interleave rows.
          const a = performance.now();
          STAGED.append(appender, read.staged);
          appendMs += performance.now() - a;
          processed.push({ object: read.object, valid: read.staged.length, lines: read.lines, rejected: read.rejected });
          counters.rowsIn += read.lines;
          counters.rejected += read.rejected;
        } else {
          counters.quarantined += 1;
        }
        counters.objects += 1;
        report('reading');
      });
    } finally {
      appender.closeSync();
    }

    report('writing');
    const readMs = performance.now() - chunkStarted;
    const valid = processed.reduce((n, r) => n + r.valid, 0);
    if (valid > 0) {
      const { added, rowsOut, partitions } = await this.writer.write(db, chunkDir);
      counters.rowsAdded += added;
      counters.duplicates += valid - added;
      counters.rowsOut += rowsOut;
      for (const p of partitions) counters.partitions.add(p);
    }
    // Only now, with the partitions durable, are the objects done: a crash before this line makes
    // the next run read them again, and the partition merge makes that change nothing.
    const processedAt = new Date().toISOString();
    await mapLimit(processed, this.options.writeConcurrency, (read) =>
      this.state.mark({
        objectKey: read.object.key,
        status: ObjectStatus.Processed,
        processedAt,
        size: read.object.size,
        ...(read.object.etag === undefined ? {} : { etag: read.object.etag }),
        rowsIn: read.lines,
        rejected: read.rejected,
      }),
    );
    report('writing');
    rmSync(chunkDir, { recursive: true, force: true });
    this.log.debug({ objects: chunk.length, rows: valid, readMs: Math.round(readMs), appendMs: Math.round(appendMs), totalMs: Math.round(performance.now() - chunkStarted) }, 'chunk done');
  }
}
