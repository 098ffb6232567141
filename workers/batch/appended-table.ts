import type { DuckDBAppender } from '@duckdb/node-api';
import { ident } from './duckdb-session.js';

/**
 * A DuckDB table the job fills with an appender. An appender takes values by position, so the
 * table's columns and the values appended to them are declared together, once, in order: the
 * CREATE statement and every appended row come from the same list and cannot drift apart.
 */

/** One column and how to read its value from a row; the value's type follows the column's. */
export type AppendedColumn<R> =
  | { readonly name: string; readonly type: 'VARCHAR'; readonly value: (row: R) => string | null }
  | { readonly name: string; readonly type: 'BIGINT'; readonly value: (row: R) => bigint | null }
  | { readonly name: string; readonly type: 'INTEGER' | 'DOUBLE'; readonly value: (row: R) => number | null }
  | { readonly name: string; readonly type: 'BOOLEAN'; readonly value: (row: R) => boolean | null };

/** The appender call for each column type. */
const APPEND = {
  VARCHAR: (appender: DuckDBAppender, value: string) => appender.appendVarchar(value),
  BIGINT: (appender: DuckDBAppender, value: bigint) => appender.appendBigInt(value),
  INTEGER: (appender: DuckDBAppender, value: number) => appender.appendInteger(value),
  DOUBLE: (appender: DuckDBAppender, value: number) => appender.appendDouble(value),
  BOOLEAN: (appender: DuckDBAppender, value: boolean) => appender.appendBoolean(value),
} as const;

function appendValue<R>(appender: DuckDBAppender, column: AppendedColumn<R>, row: R): void {
  const value = column.value(row);
  if (value === null) return appender.appendNull();
  // AppendedColumn ties each type to its value's type, so the call matches the value.
  (APPEND[column.type] as (appender: DuckDBAppender, value: string | bigint | number | boolean) => void)(appender, value);
}

/**
 * @example
 * const scores = new AppendedTable<ViewScore>('view_scores', [
 *   { name: 'transaction_id', type: 'VARCHAR', value: (s) => s.transactionId },
 *   { name: 'anomaly_score', type: 'DOUBLE', value: (s) => s.anomalyScore },
 * ]);
 * await db.run(scores.createSql());
 * scores.append(await db.connection.createAppender(scores.name), rows);
 */
export class AppendedTable<R> {
  public constructor(
    public readonly name: string,
    public readonly columns: readonly AppendedColumn<R>[],
  ) {}

  /** `CREATE TEMP TABLE name (column TYPE, …)` in the declared order. */
  public createSql(): string {
    return `CREATE TEMP TABLE ${ident(this.name)} (${this.columns.map((c) => `${ident(c.name)} ${c.type}`).join(', ')})`;
  }

  /** Appends each row, every column in the declared order. */
  public append(appender: DuckDBAppender, rows: Iterable<R>): void {
    for (const row of rows) {
      for (const column of this.columns) appendValue(appender, column, row);
      appender.endRow();
    }
  }
}
