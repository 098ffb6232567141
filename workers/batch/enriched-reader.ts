import type { S3Client } from '@aws-sdk/client-s3';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ENRICHED_PREFIX } from '../../shared/analytics-schema.js';
import { DuckDbSession, literal } from './duckdb-session.js';
import { columnList, enrichedTableDefinition, hiveTypes, partitionList } from './enriched-sql.js';
import { mapLimit } from '../lib/concurrency.js';
import { getBytes, listObjects } from '../lib/s3-objects.js';

/** The name queries use for the enriched table, as the Glue table is named in Athena. */
export const ENRICHED_VIEW = 'enriched';

export interface EnrichedReaderOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  /** @default 'enriched/' */
  readonly prefix?: string;
  /** Where the temporary copy goes. @default the OS temp folder */
  readonly workDir?: string;
  /** Downloads at once. @default 8 */
  readonly concurrency?: number;
  /** DuckDB threads. @default all CPUs */
  readonly threads?: number;
}

/**
 * The enriched Parquet as Athena sees it, locally: every object under the prefix is copied to a
 * temporary folder with its key layout, and a DuckDB view `enriched` reads it with Hive
 * partitioning (year, month and day typed as Glue declares them). With no data yet the view exists
 * and is empty, with the same columns.
 *
 * @example
 * const reader = await EnrichedReader.open({ s3, bucket: names.buckets.analytics });
 * try { console.log(await reader.session.rows('SELECT count(*) AS n FROM enriched')); } finally { reader.close(); }
 */
export class EnrichedReader {
  private closed = false;

  private constructor(
    public readonly session: DuckDbSession,
    /** Objects copied. */
    public readonly files: number,
    private readonly dir: string,
  ) {}

  public static async open(options: EnrichedReaderOptions): Promise<EnrichedReader> {
    const prefix = options.prefix ?? ENRICHED_PREFIX;
    const dir = mkdtempSync(join(options.workDir ?? tmpdir(), 'insights-enriched-'));
    try {
      const keys: string[] = [];
      for await (const object of listObjects(options.s3, options.bucket, prefix)) if (object.key.endsWith('.parquet')) keys.push(object.key);
      const dataDir = join(dir, 'data');
      await mapLimit(keys, options.concurrency ?? 8, async (key) => {
        const local = join(dataDir, key.slice(prefix.length));
        mkdirSync(dirname(local), { recursive: true });
        await writeFile(local, await getBytes(options.s3, options.bucket, key));
      });
      const session = await DuckDbSession.open({ workDir: dir, ...(options.threads === undefined ? {} : { threads: options.threads }) });
      if (keys.length > 0) {
        await session.run(
          `CREATE VIEW ${ENRICHED_VIEW} AS SELECT ${columnList()}, ${partitionList()} FROM read_parquet(${literal(join(dataDir, '**', '*.parquet'))}, hive_partitioning = true, hive_types = ${hiveTypes()}, union_by_name = true)`,
        );
      } else {
        await session.run(`CREATE TABLE ${ENRICHED_VIEW} (${enrichedTableDefinition()})`);
      }
      return new EnrichedReader(session, keys.length, dir);
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Rows in the enriched output, counted by DuckDB over the Parquet files. */
  public async count(): Promise<number> {
    const [row] = await this.session.rows(`SELECT count(*) AS n FROM ${ENRICHED_VIEW}`);
    return Number(row?.['n'] ?? 0);
  }

  public close(): void {
    if (this.closed) return;
    this.closed = true;
    this.session.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
