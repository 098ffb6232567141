import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DuckDbSession } from './duckdb-session.js';
import { literal } from './duckdb-session.js';
import { ReferenceDataError } from './errors.js';

/** The merchant reference data shipped with the job. */
export const DEFAULT_REFERENCE_DIR = fileURLToPath(new URL('./reference/', import.meta.url));

/**
 * The three CSV files and their columns:
 * - merchants.csv: a merchant's normalised name (a whole-word prefix of `merchantMatchName`), its
 *   brand (empty for generic trade words such as `bakkerij`), its usual MCC and that code's
 *   description, and its country when the brand trades in one country only;
 * - mcc-codes.csv: ISO 18245 merchant category codes and their descriptions;
 * - cities.csv: city names as they appear in merchant names, and their country.
 */
export const REFERENCE_FILES = {
  merchants: { file: 'merchants.csv', columns: ['merchant_normalised', 'brand', 'mcc', 'mcc_description', 'country'] },
  mcc: { file: 'mcc-codes.csv', columns: ['mcc', 'description'] },
  cities: { file: 'cities.csv', columns: ['city', 'country'] },
} as const;

function readCsv(dir: string, spec: { file: string; columns: readonly string[] }): string {
  const path = join(dir, spec.file);
  if (!existsSync(path)) throw new ReferenceDataError(`reference file ${path} is missing`);
  const columns = spec.columns.map((c) => `'${c}': 'VARCHAR'`).join(', ');
  return `read_csv(${literal(path)}, header = true, auto_detect = false, columns = {${columns}}, quote = '"', escape = '"')`;
}

/** Loads the reference data into `ref_merchants`, `ref_mcc` and `ref_cities`; returns their row counts. */
export async function loadReferenceData(db: DuckDbSession, dir: string = DEFAULT_REFERENCE_DIR): Promise<{ merchants: number; mcc: number; cities: number }> {
  try {
    await db.run(`CREATE OR REPLACE TEMP TABLE ref_merchants AS
      SELECT merchant_normalised, split_part(merchant_normalised, ' ', 1) AS first_word, brand, mcc, mcc_description, country
      FROM ${readCsv(dir, REFERENCE_FILES.merchants)} WHERE coalesce(merchant_normalised, '') <> ''`);
    await db.run(`CREATE OR REPLACE TEMP TABLE ref_mcc AS SELECT mcc, description FROM ${readCsv(dir, REFERENCE_FILES.mcc)} WHERE mcc IS NOT NULL`);
    await db.run(`CREATE OR REPLACE TEMP TABLE ref_cities AS SELECT city, country FROM ${readCsv(dir, REFERENCE_FILES.cities)} WHERE coalesce(city, '') <> ''`);
  } catch (error) {
    if (error instanceof ReferenceDataError) throw error;
    throw new ReferenceDataError(`reference data in ${dir} cannot be read: ${(error as Error).message}`, { cause: error });
  }
  const [counts] = await db.rows(
    'SELECT (SELECT count(*) FROM ref_merchants) AS merchants, (SELECT count(*) FROM ref_mcc) AS mcc, (SELECT count(*) FROM ref_cities) AS cities',
  );
  const result = { merchants: Number(counts?.['merchants']), mcc: Number(counts?.['mcc']), cities: Number(counts?.['cities']) };
  if (result.merchants === 0 || result.mcc === 0) throw new ReferenceDataError(`reference data in ${dir} is empty`);
  return result;
}
