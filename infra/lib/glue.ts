import type { AnalyticsColumn, PartitionKey } from '../../shared/analytics-schema.js';

/**
 * Glue table settings from the shared analytics contract: columns, partition keys, and the
 * partition projection parameters that let Athena find partitions without a crawler or
 * `MSCK REPAIR TABLE`.
 */

export function glueColumns(columns: readonly AnalyticsColumn[]): { name: string; type: string; comment: string }[] {
  return columns.map((c) => ({ name: c.name, type: c.glueType, comment: c.description }));
}

/** `s3://bucket/raw/year=${year}/month=${month}/...`: where projected partitions live. */
export function locationTemplate(bucket: string, prefix: string, partitions: readonly PartitionKey[]): string {
  return `s3://${bucket}/${prefix}${partitions.map((p) => `${p.name}=\${${p.name}}/`).join('')}`;
}

/** Table parameters that turn on partition projection for zero-padded integer partitions. */
export function projectionParameters(bucket: string, prefix: string, partitions: readonly PartitionKey[]): Record<string, string> {
  const out: Record<string, string> = { 'projection.enabled': 'true', 'storage.location.template': locationTemplate(bucket, prefix, partitions) };
  for (const p of partitions) {
    out[`projection.${p.name}.type`] = 'integer';
    out[`projection.${p.name}.range`] = `${p.range[0]},${p.range[1]}`;
    out[`projection.${p.name}.digits`] = String(p.digits);
  }
  return out;
}

/** Glue database names allow lower-case letters, digits and underscores only. */
export function glueDatabaseName(project: string, stack: string): string {
  return `${project}_${stack}`.replace(/[^a-z0-9_]/g, '_');
}
