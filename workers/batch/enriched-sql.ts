import { ENRICHED_COLUMNS, ENRICHED_PARTITIONS } from '../../shared/analytics-schema.js';
import type { EnrichedColumnName } from '../../shared/analytics-schema.js';
import { duckDbType, ident } from './duckdb-session.js';
import { STAGED, VIEW_SCORES } from './staged-table.js';

/**
 * The SQL that turns staged rows into enriched rows. Every output column comes from
 * `ENRICHED_COLUMNS` (shared/analytics-schema.ts, which the Glue table is built from too), in its
 * order and cast to its type, so the Parquet and the Glue table cannot disagree: a column added
 * there without an expression here fails at start-up, not in Athena.
 *
 * Aliases: `f` the staged (validated, deduplicated) row, `b` the merchant reference match, `p` the
 * city match, `m` the MCC description, `v` the view's scores.
 */
const EXPRESSIONS: Readonly<Record<EnrichedColumnName, string>> = {
  transaction_id: 'f.transaction_id',
  user_id: 'f.user_id',
  account_id: 'f.account_id',
  booked_at: 'make_timestamp(f.booked_at_us)',
  local_date: 'CAST(f.local_date AS DATE)',
  weekday: 'isodow(CAST(f.local_date AS DATE))',
  amount_minor: 'f.amount_minor',
  currency: 'f.currency',
  // Zero moves no money; it is counted with what came in rather than as spending.
  spend_sign: "CASE WHEN f.amount_minor < 0 THEN 'debit' ELSE 'credit' END",
  merchant_name: 'f.merchant_name',
  merchant_normalised: "NULLIF(f.merchant_normalised, '')",
  brand: "NULLIF(b.brand, '')",
  mcc: 'f.mcc',
  // The description of the MCC the broker sent; without one, that of the merchant's usual MCC.
  mcc_description: "coalesce(m.description, NULLIF(b.mcc_description, ''))",
  // A brand that trades in one country says where; otherwise the city in the name does.
  merchant_country: "coalesce(NULLIF(b.country, ''), p.country)",
  // A removed row is the transaction's last version, kept so an older one cannot come back: no scores.
  category: 'CASE WHEN f.removed THEN NULL ELSE v.category END',
  anomaly_score: 'CASE WHEN f.removed THEN NULL ELSE v.anomaly_score END',
  is_anomaly: 'CASE WHEN f.removed THEN NULL ELSE v.is_anomaly END',
  ingested_at: 'make_timestamp(f.ingested_at_us)',
  revision: 'f.revision',
  removed: 'f.removed',
  pending_transaction_id: 'f.pending_transaction_id',
};

for (const column of ENRICHED_COLUMNS) {
  if (!(column.name in EXPRESSIONS)) throw new Error(`enriched column ${column.name} has no expression in workers/batch/enriched-sql.ts`);
}

/** Partition values from local_date, zero-padded as the partition keys' `digits` say. */
const PARTITION_EXPRESSIONS: Readonly<Record<string, string>> = { year: '%Y', month: '%m', day: '%d' };
for (const key of ENRICHED_PARTITIONS) {
  if (!(key.name in PARTITION_EXPRESSIONS)) throw new Error(`enriched partition ${key.name} has no expression in workers/batch/enriched-sql.ts`);
}

export const ENRICHED_COLUMN_NAMES: readonly string[] = ENRICHED_COLUMNS.map((c) => c.name);
export const PARTITION_NAMES: readonly string[] = ENRICHED_PARTITIONS.map((p) => p.name);

/** `"transaction_id", "user_id", …` in schema order. */
export const columnList = (prefix = ''): string => ENRICHED_COLUMN_NAMES.map((name) => `${prefix}${ident(name)}`).join(', ');
export const partitionList = (prefix = ''): string => PARTITION_NAMES.map((name) => `${prefix}${ident(name)}`).join(', ');

/** Column definitions of a table holding enriched rows plus their partition values. */
export function enrichedTableDefinition(): string {
  const columns = ENRICHED_COLUMNS.map((c) => `${ident(c.name)} ${duckDbType(c.glueType)}`);
  const partitions = ENRICHED_PARTITIONS.map((p) => `${ident(p.name)} ${duckDbType(p.glueType)}`);
  return [...columns, ...partitions].join(', ');
}

/** `hive_types` for reading the output back with the partition columns typed as Glue declares them. */
export function hiveTypes(): string {
  return `{${ENRICHED_PARTITIONS.map((p) => `'${p.name}': ${duckDbType(p.glueType)}`).join(', ')}}`;
}

/**
 * Which of two versions of a transaction in one day's partition stands, as the view decides it
 * (`outranks` in shared/view/collapse.ts): the higher revision, then a live version over a removal.
 */
const RANK = 'coalesce(revision, 0) DESC, coalesce(removed, false)';

/**
 * One row per transaction and local day (a date move removes the transaction from the day it
 * leaves at the revision it arrives in the other): the standing version, then the earliest
 * ingested copy (then content hash and archive position) of it, deterministically.
 */
export const FRESH_SQL = `CREATE OR REPLACE TEMP TABLE fresh AS
  SELECT * FROM ${STAGED.name}
  QUALIFY row_number() OVER (PARTITION BY transaction_id, local_date ORDER BY ${RANK}, ingested_at_us, content_hash, object_key, line) = 1`;

/** Enriched rows for the fresh transactions (view scores from `VIEW_SCORES`, filled by the partition writer). */
export function enrichFreshSql(): string {
  const select = ENRICHED_COLUMNS.map((c) => `CAST(${EXPRESSIONS[c.name]} AS ${duckDbType(c.glueType)}) AS ${ident(c.name)}`);
  const partitions = ENRICHED_PARTITIONS.map((p) => `strftime(CAST(f.local_date AS DATE), '${PARTITION_EXPRESSIONS[p.name]}') AS ${ident(p.name)}`);
  return `CREATE OR REPLACE TEMP TABLE enriched_new AS
  WITH brand_match AS (
    SELECT f.transaction_id, r.brand, r.mcc_description, r.country
    FROM fresh f JOIN ref_merchants r
      ON r.first_word = split_part(f.merchant_match, ' ', 1)
     AND (f.merchant_match = r.merchant_normalised OR starts_with(f.merchant_match, r.merchant_normalised || ' '))
    QUALIFY row_number() OVER (PARTITION BY f.transaction_id ORDER BY length(r.merchant_normalised) DESC) = 1
  ), words AS (
    SELECT transaction_id, string_split(merchant_normalised, ' ') AS w FROM fresh
  ), grams AS (
    -- Every run of one to three words, so multi-word cities ('den haag', 'rio de janeiro') are an
    -- equality join instead of a substring search of every name against every city.
    SELECT transaction_id, unnest(list_concat(
      w,
      list_transform(range(1, len(w)), i -> w[i] || ' ' || w[i + 1]),
      list_transform(range(1, len(w) - 1), i -> w[i] || ' ' || w[i + 1] || ' ' || w[i + 2])
    )) AS gram FROM words
  ), city_match AS (
    SELECT g.transaction_id, c.country
    FROM grams g JOIN ref_cities c ON c.city = g.gram
    QUALIFY row_number() OVER (PARTITION BY g.transaction_id ORDER BY length(c.city) DESC, c.country) = 1
  )
  SELECT ${[...select, ...partitions].join(',\n    ')}
  FROM fresh f
  LEFT JOIN brand_match b ON b.transaction_id = f.transaction_id
  LEFT JOIN city_match p ON p.transaction_id = f.transaction_id
  LEFT JOIN ref_mcc m ON m.mcc = f.mcc
  LEFT JOIN ${VIEW_SCORES.name} v ON v.transaction_id = f.transaction_id`;
}

/**
 * Existing rows of the touched partitions unioned with the new ones: a transactionId already in
 * its partition keeps its row unless a new version outranks it (a higher revision, or a removal
 * at a higher one), so a rerun, a replay or an older version archived again changes nothing;
 * a live row written before the view had scored it takes the view's scores now. Rows written
 * before versions existed read as revision 0, not removed. `origin` 0 is existing, 1 new;
 * `filled` marks an existing row that gained scores.
 */
export function mergeSql(): string {
  const live = 'NOT coalesce(e.removed, false)';
  const existing = ENRICHED_COLUMNS.map((c) => {
    if (c.name === 'category' || c.name === 'anomaly_score' || c.name === 'is_anomaly') {
      const viewColumn = { category: 'category', anomaly_score: 'anomaly_score', is_anomaly: 'is_anomaly' }[c.name];
      return `CASE WHEN e.category IS NULL AND ${live} THEN v.${viewColumn} ELSE e.${ident(c.name)} END AS ${ident(c.name)}`;
    }
    if (c.name === 'revision') return `coalesce(e.revision, 0) AS revision`;
    if (c.name === 'removed') return `coalesce(e.removed, false) AS removed`;
    return `e.${ident(c.name)}`;
  });
  return `CREATE OR REPLACE TEMP TABLE merged AS
  SELECT * FROM (
    SELECT ${[...existing, partitionList('e.')].join(', ')}, 0 AS origin, (e.category IS NULL AND ${live} AND v.category IS NOT NULL) AS filled
    FROM existing e LEFT JOIN ${VIEW_SCORES.name} v ON v.transaction_id = e.transaction_id
    UNION ALL BY NAME
    SELECT ${columnList('n.')}, ${partitionList('n.')}, 1 AS origin, false AS filled FROM enriched_new n
  )
  QUALIFY row_number() OVER (PARTITION BY ${partitionList()}, transaction_id ORDER BY ${RANK}, origin) = 1`;
}
