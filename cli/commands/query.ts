import { Command } from 'commander';
import { createAwsClients } from '../../shared/aws/clients.js';
import { ownTempFolder } from '../../shared/command-line/temp-folder.js';
import { EnrichedReader, ENRICHED_VIEW } from '../../workers/batch/enriched-reader.js';
import { Progress, output } from '../progress.js';
import { analyticsEnv } from './batch.js';

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** A plain aligned table; numbers right-aligned. */
export function formatTable(columns: readonly string[], types: readonly string[], rows: readonly Record<string, unknown>[]): string {
  const numeric = types.map((t) => /INT|DOUBLE|FLOAT|DECIMAL|REAL/.test(t));
  const cells = rows.map((row) => columns.map((c) => cell(row[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (values: readonly string[]): string =>
    values.map((v, i) => (numeric[i] ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(columns), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

async function runQuery(sql: string, flags: { json?: boolean }): Promise<void> {
  const json = flags.json === true;
  const progress = new Progress(!json);
  const processEnv = analyticsEnv();
  const bucket = processEnv['ANALYTICS_BUCKET'];
  if (bucket === undefined || bucket === '') throw new Error('ANALYTICS_BUCKET is not set');
  const aws = createAwsClients({ env: processEnv });
  let reader: EnrichedReader | undefined;
  try {
    progress.status(`copying s3://${bucket}/enriched/`);
    reader = await EnrichedReader.open({ s3: aws.s3, bucket, workDir: ownTempFolder() });
    progress.step(`${reader.files} Parquet file(s) from s3://${bucket}/enriched/ as view '${ENRICHED_VIEW}'`);
    const result = await reader.session.jsonRows(sql);
    progress.done();
    output(json, result.rows, () => {
      console.log(formatTable(result.columns, result.types, result.rows));
      console.log(`(${result.rows.length} row${result.rows.length === 1 ? '' : 's'})`);
    });
  } finally {
    reader?.close();
    aws.destroy();
  }
}

/** `insights query "SQL" [--json]`: DuckDB over the enriched Parquet, as Athena would over S3. */
export function queryCommand(): Command {
  return new Command('query')
    .description(`run SQL with DuckDB over the enriched Parquet (view '${ENRICHED_VIEW}', Hive partitions year/month/day); see workers/batch/QUERIES.md`)
    .argument('<sql>', 'the query, e.g. "SELECT count(*) FROM enriched"')
    .option('--json', 'print the rows as a JSON array')
    .action((sql: string, flags: { json?: boolean }) => runQuery(sql, flags));
}
