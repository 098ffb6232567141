import type { DuckDBAppender } from '@duckdb/node-api';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../shared/logger.js';
import { buildRejectRecord, RejectStage } from '../../shared/rejects/reject-record.js';
import { RejectStore } from '../../shared/rejects/reject-store.js';
import { decodeArchiveObject, QuarantineReason } from '../../shared/archive/archive-object.js';
import { checkArchiveLine } from './archive-line.js';
import type { StagedRow } from './archive-line.js';
import type { ResolvedBatchJobOptions, BatchJobOptions } from './batch-options.js';
import { resolveBatchJobOptions } from './batch-options.js';
import { BatchStateStore, ObjectStatus } from './batch-state.js';
import { DuckDbSession, literal } from './duckdb-session.js';
import { enrichedTableDefinition, enrichFreshSql, FRESH_SQL, hiveTypes, columnList, mergeSql, partitionList, PARTITION_NAMES, STAGED_DEFINITION, STAGED_TABLE } from './enriched-sql.js';
import { CorruptObjectError } from '../../shared/archive/errors.js';
import { PartitionWriteError } from './errors.js';
import { Quarantine } from './quarantine.js';
import { loadReferenceData } from './reference-data.js';
import { RunLock } from './run-lock.js';
import { mapLimit } from '../lib/concurrency.js';
import { deleteKey, getBytes, listObjects, putBytes } from '../lib/s3-objects.js';
import type { ListedObject } from '../lib/s3-objects.js';
import type { ViewScoreSource } from './view-scores.js';
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

/** A valid row and its line number in its object (1-based), for deterministic deduplication. */
interface NumberedRow {
  readonly row: StagedRow;
  readonly line: number;
}

interface ReadObject {
  readonly object: ListedObject;
  readonly rows: NumberedRow[];
  readonly lines: number;
  readonly rejected: number;
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
  private readonly rejects: RejectStore;
  private readonly quarantine: Quarantine;
  private readonly viewScores: ViewScoreSource;

  public constructor(options: BatchJobOptions) {
    this.options = resolveBatchJobOptions(options);
    this.log = this.options.logger.child({ component: 'batch-job' });
    this.state = new BatchStateStore({ dynamodb: this.options.dynamodb, tableName: this.options.batchStateTable });
    this.rejects = new RejectStore({ dynamodb: this.options.dynamodb, tableName: this.options.rejectsTable });
    this.quarantine = new Quarantine({ s3: this.options.s3, bucket: this.options.analyticsBucket, prefix: this.options.quarantinePrefix });
    this.viewScores =
      this.options.viewScores ??
      (this.options.viewTable === undefined ? NO_VIEW_SCORES : new DynamoViewScores({ dynamodb: this.options.dynamodb, tableName: this.options.viewTable }));
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
        await db.run(STAGED_DEFINITION);
        await db.run('CREATE TEMP TABLE view_scores (transaction_id VARCHAR, category VARCHAR, anomaly_score DOUBLE, is_anomaly BOOLEAN)');
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
    await db.run(`DELETE FROM ${STAGED_TABLE}`);
    await db.run('DELETE FROM view_scores');
    const appender = await db.connection.createAppender(STAGED_TABLE);
    const processed: ObjectCounts[] = [];
    let appendMs = 0;
    try {
      await mapLimit(chunk, this.options.downloadConcurrency, async (object) => {
        if (signal?.aborted) return;
        const read = await this.readObject(object);
        if (read !== undefined) {
          // Appends are synchronous, so objects never interleave rows.
          const a = performance.now();
          appendRows(appender, object.key, read.rows);
          appendMs += performance.now() - a;
          processed.push({ object: read.object, valid: read.rows.length, lines: read.lines, rejected: read.rejected });
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
      const { added, rowsOut, partitions } = await this.writePartitions(db, chunkDir);
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

  /**
   * Downloads, decodes and validates one object; rejects its invalid lines. Returns undefined
   * when the object was quarantined (and marked so).
   */
  private async readObject(object: ListedObject): Promise<ReadObject | undefined> {
    const bytes = await getBytes(this.options.s3, this.options.rawArchiveBucket, object.key);
    let lines: string[];
    try {
      lines = decodeArchiveObject(object.key, bytes);
    } catch (error) {
      if (!(error instanceof CorruptObjectError)) throw error;
      await this.quarantineObject(object, bytes, error.reason, error.message);
      return undefined;
    }
    const rows: NumberedRow[] = [];
    const rejects: { line: number; raw: string; code: string; message: string; transactionId?: string }[] = [];
    let json = 0;
    lines.forEach((raw, index) => {
      const outcome = checkArchiveLine(raw);
      if (outcome.ok) {
        rows.push({ row: outcome.row, line: index + 1 });
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
      this.rejects.put(
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
    return { object, rows, lines: lines.length, rejected: rejects.length };
  }

  private async quarantineObject(object: ListedObject, bytes: Uint8Array, reason: string, message: string): Promise<void> {
    const quarantinedAt = new Date().toISOString();
    const quarantineKey = await this.quarantine.put(bytes, {
      sourceBucket: this.options.rawArchiveBucket,
      objectKey: object.key,
      reason,
      message,
      size: bytes.byteLength,
      ...(object.etag === undefined ? {} : { etag: object.etag }),
      quarantinedAt,
    });
    await this.state.mark({
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
    this.log.warn({ objectKey: object.key, reason, message, quarantineKey }, 'archive object quarantined');
  }

  /** Deduplicates the staged rows, merges them into their partitions and rewrites those that changed. */
  private async writePartitions(db: DuckDbSession, chunkDir: string): Promise<{ added: number; rowsOut: number; partitions: string[] }> {
    const timings: Record<string, number> = {};
    let mark = performance.now();
    const lap = (name: string): void => {
      const now = performance.now();
      timings[name] = Math.round(now - mark);
      mark = now;
    };
    await db.run(FRESH_SQL);
    const touched = await db.rows(
      `SELECT DISTINCT strftime(CAST(local_date AS DATE), '%Y') AS year, strftime(CAST(local_date AS DATE), '%m') AS month, strftime(CAST(local_date AS DATE), '%d') AS day FROM fresh ORDER BY ALL`,
    );
    const partitionPaths = touched.map((p) => PARTITION_NAMES.map((name) => `${name}=${String(p[name])}`).join('/'));

    // The partitions as they are now: downloaded so DuckDB reads them as a Hive-partitioned set.
    const existingDir = join(chunkDir, 'existing');
    const existingKeys = new Map<string, string[]>(partitionPaths.map((path) => [path, []]));
    // One listing per month rather than per day: a backfill touches hundreds of days.
    const months = [...new Set(partitionPaths.map((path) => path.slice(0, path.lastIndexOf('/') + 1)))];
    const found: { path: string; key: string }[] = [];
    await mapLimit(months, this.options.downloadConcurrency, async (month) => {
      for await (const object of listObjects(this.options.s3, this.options.analyticsBucket, `${this.options.enrichedPrefix}${month}`)) {
        if (!object.key.endsWith('.parquet')) continue;
        const path = object.key.slice(this.options.enrichedPrefix.length, object.key.lastIndexOf('/'));
        const keys = existingKeys.get(path);
        if (keys === undefined) continue;
        keys.push(object.key);
        found.push({ path, key: object.key });
      }
    });
    const files = await mapLimit(found, this.options.downloadConcurrency, async ({ path, key }) => {
      const local = join(existingDir, path, key.slice(key.lastIndexOf('/') + 1));
      mkdirSync(join(existingDir, path), { recursive: true });
      await writeFile(local, await getBytes(this.options.s3, this.options.analyticsBucket, key));
      return local;
    });
    await db.run(`CREATE OR REPLACE TEMP TABLE existing (${enrichedTableDefinition()})`);
    if (files.length > 0) {
      await db.run(
        `INSERT INTO existing SELECT ${columnList()}, ${partitionList()} FROM read_parquet([${files.map(literal).join(', ')}], hive_partitioning = true, hive_types = ${hiveTypes()}, union_by_name = true)`,
      );
    }

    lap('existingMs');
    // The view's scores for new rows and for old rows written before the view had them.
    const wanted = await db.rows(`
      SELECT f.transaction_id, f.user_id, f.booked_at_text AS booked_at FROM fresh f
      WHERE NOT EXISTS (SELECT 1 FROM existing e WHERE e.transaction_id = f.transaction_id)
      UNION ALL
      SELECT transaction_id, user_id, strftime(booked_at, '%Y-%m-%dT%H:%M:%S.%gZ') FROM existing WHERE category IS NULL`);
    if (wanted.length > 0) {
      const scores = await this.viewScores.lookup(wanted.map((w) => ({ transactionId: String(w['transaction_id']), userId: String(w['user_id']), bookedAt: String(w['booked_at']) })));
      if (scores.length > 0) {
        const appender = await db.connection.createAppender('view_scores');
        try {
          for (const s of scores) {
            appender.appendVarchar(s.transactionId);
            appender.appendVarchar(s.category);
            appender.appendDouble(s.anomalyScore);
            appender.appendBoolean(s.isAnomaly);
            appender.endRow();
          }
        } finally {
          appender.closeSync();
        }
      }
    }

    lap('viewMs');
    await db.run(enrichFreshSql());
    lap('enrichMs');
    await db.run(mergeSql());
    const stats = await db.rows(
      `SELECT ${partitionList()}, count(*) AS total, count(*) FILTER (WHERE origin = 1) AS added, count(*) FILTER (WHERE filled) AS filled FROM merged GROUP BY ALL ORDER BY ALL`,
    );
    const changed = stats.filter((s) => Number(s['added']) + Number(s['filled']) > 0);
    const added = stats.reduce((n, s) => n + Number(s['added']), 0);
    if (changed.length === 0) return { added, rowsOut: 0, partitions: [] };

    await db.run(`CREATE OR REPLACE TEMP TABLE changed AS SELECT ${partitionList()} FROM merged GROUP BY ALL HAVING count(*) FILTER (WHERE origin = 1 OR filled) > 0`);
    lap('mergeMs');
    const outDir = join(chunkDir, 'out');
    await db.run(
      `COPY (SELECT ${columnList('m.')}, ${partitionList('m.')} FROM merged m SEMI JOIN changed c USING (${partitionList()}) ORDER BY ${partitionList('m.')}, m.transaction_id)
       TO ${literal(outDir)} (FORMAT parquet, PARTITION_BY (${partitionList()}), FILENAME_PATTERN 'part-{i}', OVERWRITE)`,
    );
    // rowsOut is what the written files hold, read back from them rather than taken from the plan.
    const [written] = await db.rows(`SELECT count(*) AS n FROM read_parquet(${literal(join(outDir, '**', '*.parquet'))})`);

    lap('copyMs');
    const writtenPartitions = changed.map((s) => PARTITION_NAMES.map((name) => `${name}=${String(s[name])}`).join('/'));
    await mapLimit(writtenPartitions, this.options.writeConcurrency, async (path) => {
      try {
        const localDir = join(outDir, path);
        const names = readdirSync(localDir).filter((n) => n.endsWith('.parquet')).sort();
        const newKeys = names.map((n) => `${this.options.enrichedPrefix}${path}/${n}`);
        // Same names each time, so a rewrite replaces the file in one PUT: no moment with the
        // partition empty or doubled for a reader.
        for (const [i, name] of names.entries()) {
          const bytes = await readFile(join(localDir, name));
          await putBytes(this.options.s3, this.options.analyticsBucket, newKeys[i] as string, bytes, 'application/vnd.apache.parquet');
        }
        for (const old of existingKeys.get(path) ?? []) {
          if (!newKeys.includes(old)) await deleteKey(this.options.s3, this.options.analyticsBucket, old);
        }
      } catch (error) {
        throw new PartitionWriteError(path, { cause: error });
      }
    });
    lap('uploadMs');
    this.log.info({ partitions: writtenPartitions.length, rows: Number(written?.['n'] ?? 0), added, ...timings }, 'partitions rewritten');
    return { added, rowsOut: Number(written?.['n'] ?? 0), partitions: writtenPartitions };
  }
}

function appendRows(appender: DuckDBAppender, objectKey: string, rows: readonly NumberedRow[]): void {
  for (const { row, line } of rows) {
    appender.appendVarchar(row.transactionId);
    appender.appendVarchar(row.userId);
    appender.appendVarchar(row.accountId);
    appender.appendVarchar(row.bookedAt);
    appender.appendBigInt(row.bookedAtMicros);
    appender.appendVarchar(row.localDate);
    appender.appendBigInt(BigInt(row.amountMinor));
    appender.appendVarchar(row.currency);
    appender.appendVarchar(row.merchantName);
    appender.appendVarchar(row.merchantNormalised);
    appender.appendVarchar(row.merchantMatch);
    if (row.mcc === null) appender.appendNull();
    else appender.appendVarchar(row.mcc);
    appender.appendVarchar(row.contentHash);
    appender.appendBigInt(row.ingestedAtMicros);
    appender.appendVarchar(objectKey);
    appender.appendInteger(line);
    appender.endRow();
  }
}

