import type { S3Client } from '@aws-sdk/client-s3';
import { mkdirSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../shared/logger.js';
import { mapLimit } from '../lib/concurrency.js';
import { deleteKey, getBytes, listObjects, putBytes } from '../lib/s3-objects.js';
import type { DuckDbSession } from './duckdb-session.js';
import { literal } from './duckdb-session.js';
import { columnList, enrichedTableDefinition, enrichFreshSql, FRESH_SQL, hiveTypes, mergeSql, partitionList, PARTITION_NAMES } from './enriched-sql.js';
import { PartitionWriteError } from './errors.js';
import { VIEW_SCORES } from './staged-table.js';
import type { ViewScoreSource } from './view-scores.js';

/** What writing one chunk's partitions did. */
export interface PartitionWrite {
  /** Rows new to the enriched output. */
  readonly added: number;
  /** Rows in the Parquet files written (whole partitions), counted by DuckDB. */
  readonly rowsOut: number;
  /** Partitions rewritten, as `year=YYYY/month=MM/day=DD`. */
  readonly partitions: string[];
}

export interface PartitionWriterOptions {
  readonly s3: S3Client;
  readonly analyticsBucket: string;
  /** @default 'enriched/' (resolved by the job's options) */
  readonly enrichedPrefix: string;
  /** S3 downloads at once. */
  readonly downloadConcurrency: number;
  /** S3 uploads at once. */
  readonly writeConcurrency: number;
  /** The view's category and anomaly scores. */
  readonly viewScores: ViewScoreSource;
  readonly logger: Logger;
}

/**
 * Turns the staged rows of a chunk into enriched Parquet: keeps the standing version of each
 * transaction per local day, downloads the partitions they land in, merges new rows into existing
 * ones (an existing row keeps its place unless a newer version or a removal outranks it, and gains
 * the view's scores if it had none), and rewrites each partition that changed,
 * whole, under the same file names, so a reader never sees a partition empty or doubled.
 */
export class PartitionWriter {
  public constructor(private readonly options: PartitionWriterOptions) {}

  /** Deduplicates the staged rows, merges them into their partitions and rewrites those that changed. */
  public async write(db: DuckDbSession, chunkDir: string): Promise<PartitionWrite> {
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
        // BY NAME: files written before a column existed (revision, removed) give NULL for it.
        `INSERT INTO existing BY NAME SELECT * FROM read_parquet([${files.map(literal).join(', ')}], hive_partitioning = true, hive_types = ${hiveTypes()}, union_by_name = true)`,
      );
    }

    lap('existingMs');
    // The view's scores for new rows and for old rows written before the view had them.
    const wanted = await db.rows(`
      SELECT f.transaction_id, f.user_id, f.booked_at_text AS booked_at FROM fresh f
      WHERE NOT f.removed
        AND NOT EXISTS (SELECT 1 FROM existing e WHERE e.transaction_id = f.transaction_id AND e.local_date = CAST(f.local_date AS DATE) AND coalesce(e.revision, 0) >= f.revision)
      UNION ALL
      SELECT transaction_id, user_id, strftime(booked_at, '%Y-%m-%dT%H:%M:%S.%gZ') FROM existing WHERE category IS NULL AND NOT coalesce(removed, false)`);
    if (wanted.length > 0) {
      const scores = await this.options.viewScores.lookup(wanted.map((w) => ({ transactionId: String(w['transaction_id']), userId: String(w['user_id']), bookedAt: String(w['booked_at']) })));
      if (scores.length > 0) {
        const appender = await db.connection.createAppender(VIEW_SCORES.name);
        try {
          VIEW_SCORES.append(appender, scores);
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
    this.options.logger.info({ partitions: writtenPartitions.length, rows: Number(written?.['n'] ?? 0), added, ...timings }, 'partitions rewritten');
    return { added, rowsOut: Number(written?.['n'] ?? 0), partitions: writtenPartitions };
  }
}
