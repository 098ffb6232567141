import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

/** Glue (Hive) column types and the DuckDB types that write them to Parquet the way Athena reads them. */
export const DUCKDB_TYPE_BY_GLUE: Readonly<Record<string, string>> = {
  string: 'VARCHAR',
  int: 'INTEGER',
  bigint: 'BIGINT',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  // Parquet TIMESTAMP (micros, not adjusted to UTC): the values are UTC instants, as Glue's
  // `timestamp` (no zone) expects.
  timestamp: 'TIMESTAMP',
  date: 'DATE',
};

export function duckDbType(glueType: string): string {
  const type = DUCKDB_TYPE_BY_GLUE[glueType];
  if (type === undefined) throw new RangeError(`no DuckDB type for the Glue type '${glueType}'`);
  return type;
}

/** Quotes an identifier for SQL. */
export const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;
/** Quotes a string literal (file paths, keys) for SQL. */
export const literal = (value: string): string => `'${value.replace(/'/g, "''")}'`;

export interface DuckDbSessionOptions {
  /** A folder the session owns: spill files and the (always empty) extension folder go under it. */
  readonly workDir: string;
  /** @default the CPUs this process may use */
  readonly threads?: number;
  /** DuckDB memory limit, e.g. '1GB'. @default DuckDB's (80% of RAM) */
  readonly memoryLimit?: string;
}

/**
 * The settings that keep DuckDB from fetching anything: the JSON and Parquet readers and writers are
 * built into `@duckdb/node-api`, so no extension is installed or loaded on demand, community
 * extensions are refused, and the extension folder points into the session's own folder (where a
 * test checks nothing appears). The configuration is then locked for the session.
 */
export function offlineSettings(workDir: string): Record<string, string> {
  return {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    allow_community_extensions: 'false',
    extension_directory: join(workDir, 'duckdb-extensions'),
  };
}

/**
 * One in-memory DuckDB database and connection, configured to work offline, spilling to the
 * session's folder when a run outgrows memory.
 *
 * @example
 * const db = await DuckDbSession.open({ workDir });
 * try { const rows = await db.rows('SELECT 42 AS answer'); } finally { db.close(); }
 */
export class DuckDbSession {
  private closed = false;

  private constructor(
    private readonly instance: DuckDBInstance,
    public readonly connection: DuckDBConnection,
  ) {}

  public static async open(options: DuckDbSessionOptions): Promise<DuckDbSession> {
    const spill = join(options.workDir, 'duckdb-spill');
    mkdirSync(spill, { recursive: true });
    const threads = options.threads ?? availableParallelism();
    const instance = await DuckDBInstance.create(':memory:', {
      ...offlineSettings(options.workDir),
      temp_directory: spill,
      threads: String(threads),
      ...(options.memoryLimit === undefined ? {} : { memory_limit: options.memoryLimit }),
    });
    const connection = await instance.connect();
    await connection.run('SET lock_configuration = true');
    return new DuckDbSession(instance, connection);
  }

  public async run(sql: string): Promise<void> {
    await this.connection.run(sql);
  }

  /** Runs a query and returns its rows as plain JS objects (BIGINT as bigint, dates as strings). */
  public async rows(sql: string): Promise<Record<string, unknown>[]> {
    const reader = await this.connection.runAndReadAll(sql);
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  }

  /**
   * Rows as JSON values with their column names and types, for CLI output: 64- and 128-bit
   * integers (which DuckDB's JSON form gives as strings) become numbers when they fit exactly.
   */
  public async jsonRows(sql: string): Promise<{ columns: string[]; types: string[]; rows: Record<string, unknown>[] }> {
    const reader = await this.connection.runAndReadAll(sql);
    const columns = reader.columnNames();
    const types = reader.columnTypes().map(String);
    const wide = new Set(columns.filter((_, i) => /^(U?BIGINT|U?HUGEINT)$/.test(types[i] ?? '')));
    const rows = (reader.getRowObjectsJson() as Record<string, unknown>[]).map((row) => {
      for (const column of wide) {
        const value = row[column];
        if (typeof value === 'string' && Number.isSafeInteger(Number(value))) row[column] = Number(value);
      }
      return row;
    });
    return { columns, types, rows };
  }

  /** Extensions installed anywhere but inside the library: empty when nothing was downloaded. */
  public async downloadedExtensions(): Promise<string[]> {
    const rows = await this.rows(`SELECT extension_name FROM duckdb_extensions() WHERE installed AND install_path <> '(BUILT-IN)' AND install_path <> ''`);
    return rows.map((row) => String(row['extension_name']));
  }

  public close(): void {
    if (this.closed) return;
    this.closed = true;
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
