import { createHash } from 'node:crypto';
import { ANOMALY_SPEC } from './anomaly.js';
import type { AnomalyStats } from './anomaly.js';
import { CATEGORISER_SPEC } from './categoriser.js';

/** JSON with object keys sorted at every level: the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Hash of everything that defines the categoriser's input. */
export function categoriserSchemaHash(): string {
  return sha256Hex(canonicalJson(CATEGORISER_SPEC));
}

/** Hash of the anomaly features' definition together with the statistics they read. */
export function anomalySchemaHash(stats: AnomalyStats): string {
  return sha256Hex(canonicalJson({ spec: ANOMALY_SPEC, stats }));
}
