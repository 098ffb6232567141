import { z } from 'zod';
import { ANOMALY_FEATURE_VERSION } from './anomaly.js';
import type { AnomalyStats } from './anomaly.js';

const group = z.object({ n: z.number().int().nonnegative(), mean: z.number(), std: z.number().positive(), hourLogProb: z.array(z.number()).length(24) });
const brand = z.object({ n: z.number().int().nonnegative(), mean: z.number(), std: z.number().positive() });

const statsSchema = z.object({
  version: z.literal(ANOMALY_FEATURE_VERSION),
  rows: z.number().int().positive(),
  groups: z.record(z.string(), group),
  fallbacks: z.record(z.string(), group),
  brands: z.record(z.string(), brand),
  currencies: z.record(z.string(), z.number().int().nonnegative()),
});

/** Checks parsed JSON is anomaly statistics this code reads; throws zod's error otherwise. */
export function parseAnomalyStats(value: unknown): AnomalyStats {
  return statsSchema.parse(value) as AnomalyStats;
}

/** The statistics file's text: stable key order (as fitted) and a final newline. */
export function serialiseAnomalyStats(stats: AnomalyStats): string {
  return `${JSON.stringify(stats, null, 1)}\n`;
}
